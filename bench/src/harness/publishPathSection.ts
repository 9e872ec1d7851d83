import { publishPathTable, runPublishPathBench } from '../publishPath/index.js'

export type PublishPathSection = { table: string; report: unknown } | { skipped: string }

/** The publish path (bench/src/publishPath/) on the bench's Redis, after the streaming runs. */
export async function runPublishPathSection(
  quick: boolean,
  redisUrl: string | undefined,
  log: (line: string) => void,
): Promise<PublishPathSection> {
  if (redisUrl === undefined) return { skipped: 'no Redis' }
  const report = await runPublishPathBench({ quick, redisUrl, log })
  return { table: publishPathTable(report), report }
}
