import { randomBytes } from 'node:crypto'

// The event bare and better-sse send: the same fields and about the same size (≈190 bytes of
// JSON) as the SDK's progress envelope for `increment(crawlId, { processed: 1 })`, with `ts` set
// at publish, so that every server moves the same bytes and clients parse the same shape.

export interface BenchEvent {
  v: 1
  epoch: string
  seq: number
  crawlId: string
  ts: number
  tag: string
  totals: { discovered: number; processed: number; failed: number }
  type: 'progress'
  delta: { processed: number }
}

function token(length: number): string {
  return randomBytes(length).toString('hex').slice(0, length)
}

/** Per-crawl state of a hand-rolled publisher: seq and totals, like the SDK's store keeps. */
export class BenchCrawl {
  readonly epoch = token(16)
  private seq = 0

  constructor(readonly crawlId: string) {}

  /** The next event, built once to be written to every subscriber. */
  next(): BenchEvent {
    this.seq += 1
    return {
      v: 1,
      epoch: this.epoch,
      seq: this.seq,
      crawlId: this.crawlId,
      ts: Date.now(),
      tag: token(10),
      totals: { discovered: 0, processed: this.seq, failed: 0 },
      type: 'progress',
      delta: { processed: 1 },
    }
  }
}

/** The SSE message of an event, exactly as the SDK frames it: `id:` then one `data:` line. */
export function sseFrame(event: BenchEvent): string {
  return `id: ${event.epoch}:${event.seq}:${event.tag}\ndata: ${JSON.stringify(event)}\n\n`
}
