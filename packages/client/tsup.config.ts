import { defineConfig } from 'tsup'

export default defineConfig({
  entry: { index: 'src/index.ts', protocol: 'src/protocol.ts', validate: 'src/validate.ts' },
  // Only the validate entry imports core (and zod), an optional peer dependency.
  external: ['@docspasta/progress-core'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  splitting: false,
})
