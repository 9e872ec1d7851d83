import { defineConfig } from 'tsup'

export default defineConfig({
  entry: { index: 'src/index.ts', validate: 'src/validate.ts' },
  // Types only from core in the default entry; the validate entry imports core (and zod) at runtime.
  external: ['@docspasta/progress-core'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  splitting: false,
})
