import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

/** Where the page (public/index.html) loads its script from. */
export const PAGE_SCRIPT_PATH = '/app.js'

const ENTRY = fileURLToPath(new URL('./browser/main.ts', import.meta.url))

/**
 * The page's script, bundled for the browser in memory at startup (a deployed app would build it
 * once, with the same options). Only `@docspasta/progress-client` goes in: no zod, no Node.
 */
export async function bundlePageScript(): Promise<string> {
  const result = await build({
    entryPoints: [ENTRY],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    write: false,
    logLevel: 'silent',
    // Inside this repository, the SDK's sources (no build needed); elsewhere ignored.
    conditions: ['docspasta-source'],
  })
  const [output] = result.outputFiles
  if (!output) throw new Error('esbuild produced no bundle for src/browser/main.ts')
  return output.text
}
