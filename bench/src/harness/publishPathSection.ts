import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

// The publish-path section comes from bench/src/publishPath/ (owned separately). It is loaded by
// its interface, `runPublishPathBench(options)` and `publishPathTable(report)`, and only when its
// index exists, so the runner works with or without it.
// >>> publish-path call site (the single place the runner uses bench/src/publishPath/) <<<

interface PublishPathModule {
  runPublishPathBench(options: { quick: boolean; log: (line: string) => void }): Promise<unknown>
  publishPathTable(report: unknown): string
}

function isPublishPathModule(value: unknown): value is PublishPathModule {
  const candidate = value as Partial<PublishPathModule> | null
  return (
    typeof candidate?.runPublishPathBench === 'function' &&
    typeof candidate.publishPathTable === 'function'
  )
}

export type PublishPathSection = { table: string; report: unknown } | { skipped: string }

export async function runPublishPathSection(
  quick: boolean,
  log: (line: string) => void,
): Promise<PublishPathSection> {
  const entry = new URL('../publishPath/index.ts', import.meta.url)
  if (!existsSync(fileURLToPath(entry)))
    return { skipped: 'bench/src/publishPath/index.ts not found' }
  const loaded: unknown = await import(entry.href)
  if (!isPublishPathModule(loaded)) {
    return { skipped: 'bench/src/publishPath/index.ts does not export the expected functions' }
  }
  const report = await loaded.runPublishPathBench({ quick, log })
  return { table: loaded.publishPathTable(report), report }
}
