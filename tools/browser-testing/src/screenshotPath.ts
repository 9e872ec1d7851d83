import { mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * Where a browser test writes a screenshot: `<package>/test-results/<name>.png`, next to the
 * `test/` folder of the test file (`import.meta.url`). The folder is created, and git ignores it.
 */
export function screenshotPath(testFileUrl: string, name: string): string {
  let folder = dirname(fileURLToPath(testFileUrl))
  while (!folder.endsWith('/test') && folder !== dirname(folder)) folder = dirname(folder)
  const output = join(dirname(folder), 'test-results')
  mkdirSync(output, { recursive: true })
  return join(output, `${name}.png`)
}
