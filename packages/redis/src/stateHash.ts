import type { ProgressSnapshot, TerminalEnvelope } from '@docspasta/progress-core'

/** Reads the state hash (HGETALL as an object) into a snapshot; null when the crawl is gone. */
export function parseStateHash(
  crawlId: string,
  hash: Record<string, string>,
): ProgressSnapshot | null {
  if (hash.status === undefined) return null
  return {
    crawlId,
    epoch: hash.epoch ?? '',
    status: hash.status as ProgressSnapshot['status'],
    seq: Number(hash.seq),
    totals: {
      discovered: Number(hash.discovered),
      processed: Number(hash.processed),
      failed: Number(hash.failed),
    },
    startedAt: Number(hash.startedAt),
    updatedAt: Number(hash.updatedAt),
    terminal: hash.terminal ? (JSON.parse(hash.terminal) as TerminalEnvelope) : null,
    ...(hash.tag ? { tag: hash.tag } : {}),
    ...(hash.phase ? { phase: hash.phase } : {}),
  }
}

/** HGETALL's flat reply from a script ([field, value, …]) as an object. */
export function pairsToObject(pairs: readonly string[]): Record<string, string> {
  const result: Record<string, string> = {}
  for (let i = 0; i + 1 < pairs.length; i += 2) result[pairs[i] as string] = pairs[i + 1] as string
  return result
}
