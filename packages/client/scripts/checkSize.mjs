// The default entry as an app bundles it (the built ESM, which has no runtime dependency: the SSE
// parser is our own src/sseParser.ts; minified, gzipped) must stay within the budget and must
// bundle nothing but the client's own code.
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
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
// Only the client's own code: the protocol package is imported for its types alone, and core
// and zod never (esbuild names inputs relative to the working directory).
const dist = fileURLToPath(new URL('../dist/', import.meta.url))
const forbidden = inputs.filter((input) => !resolve(input).startsWith(dist))
console.log(
  `client default entry: ${gzipped} bytes min+gzip (limit ${LIMIT_BYTES}); inputs: ${inputs.length}`,
)
if (forbidden.length > 0) {
  console.error(`the default entry bundles ${forbidden.join(', ')}`)
  process.exit(1)
}
if (gzipped > LIMIT_BYTES) process.exit(1)
