import { defineConfig } from 'tsup'

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    protocol: 'src/protocol.ts',
    validate: 'src/validate.ts',
    react: 'src/react.ts',
  },
  // Only the validate entry imports core (and zod), an optional peer dependency; only the react
  // entry imports react, another one. The react entry imports the client by the package's own
  // name: the default entry's build, not a second copy of it (one ProgressClientError class).
  external: ['@docspasta/progress-core', 'react', '@docspasta/progress-client'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  splitting: false,
})
