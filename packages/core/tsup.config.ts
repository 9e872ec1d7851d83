import { defineConfig } from 'tsup'

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'lua/index': 'src/lua/index.ts',
    'node/index': 'src/node/index.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  // Entries share chunks, so the root and /node hold one copy of each class.
  splitting: true,
  // Rollup's tree shaking, which also splits the CJS output (esbuild's own CJS splitting wrote
  // sourcemaps naming the build machine's paths).
  treeshake: true,
})
