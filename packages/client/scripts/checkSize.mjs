// The default entry as an app bundles it (the built ESM, which has no runtime dependency: the SSE
// parser is our own src/sseParser.ts; minified, gzipped) must stay within the budget and must
// not pull in zod or core.
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

const LIMIT_BYTES = 4_000
const result = await build({
  entryPoints: [new URL('../dist/index.js', import.meta.url).pathname],
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'browser',
  write: false,
  metafile: true,
})
const gzipped = gzipSync(result.outputFiles[0].contents, { level: 9 }).byteLength
const inputs = Object.keys(result.metafile.inputs)
const forbidden = inputs.filter((input) =>
  /node_modules\/(zod|@docspasta\/progress-core)\//.test(input),
)
console.log(
  `client default entry: ${gzipped} bytes min+gzip (limit ${LIMIT_BYTES}); inputs: ${inputs.length}`,
)
if (forbidden.length > 0) {
  console.error(`the default entry bundles ${forbidden.join(', ')}`)
  process.exit(1)
}
if (gzipped > LIMIT_BYTES) process.exit(1)
