import type { ProgressEnvelope } from '@docspasta/progress-core'

type Eol = '\n' | '\r\n' | '\r'

/** One envelope as SSE text, with a chosen line ending and optionally data split over lines. */
export function sseMessage(
  envelope: ProgressEnvelope,
  options: { eol?: Eol; multiline?: boolean; id?: string | false } = {},
): string {
  const eol = options.eol ?? '\n'
  const lines: string[] = []
  if (options.id !== false) lines.push(`id: ${options.id ?? `${envelope.epoch}:${envelope.seq}`}`)
  // Pretty-printed JSON spans several data: lines; the parser joins them with \n.
  const json = options.multiline ? JSON.stringify(envelope, null, 1) : JSON.stringify(envelope)
  for (const line of json.split('\n')) lines.push(`data: ${line}`)
  return `${lines.join(eol)}${eol}${eol}`
}

const totals = (processed: number) => ({ discovered: 10, processed, failed: 0 })

export function progressEnvelope(epoch: string, seq: number): ProgressEnvelope {
  return {
    v: 1,
    epoch,
    seq,
    crawlId: 'c1',
    ts: 0,
    type: 'progress',
    totals: totals(seq),
    delta: { processed: 1 },
  }
}

export function snapshotEnvelope(epoch: string, seq: number, resync = false): ProgressEnvelope {
  return {
    v: 1,
    epoch,
    seq,
    crawlId: 'c1',
    ts: 0,
    type: 'snapshot',
    status: 'running',
    totals: totals(seq),
    ...(resync ? { resync: true } : {}),
  }
}

export function completeEnvelope(epoch: string, seq: number): ProgressEnvelope {
  return {
    v: 1,
    epoch,
    seq,
    crawlId: 'c1',
    ts: 0,
    type: 'complete',
    totals: totals(seq - 1),
    stats: { ok: true },
  }
}
