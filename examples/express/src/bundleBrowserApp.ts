import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const ENTRY = fileURLToPath(new URL('./browser/main.ts', import.meta.url))

/** The page's script: src/browser bundled for browsers, with the client package inside. */
export async function bundleBrowserApp(): Promise<string> {
  const result = await build({
    entryPoints: [ENTRY],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    // Resolves this repository's workspace packages to their sources; a no-op for packages
    // installed from npm.
    conditions: ['docspasta-source'],
    write: false,
  })
  const [output] = result.outputFiles
  if (!output) throw new Error('esbuild produced no bundle for the page')
  return output.text
}
