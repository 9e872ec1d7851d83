import type {
  CrawlStatus,
  EventEnvelope,
  ProgressInput,
  ProgressTotals,
  TerminalEnvelope,
} from '../events.js'
import type { ProgressSnapshot } from '../service.js'
import type { OrderedDelivery } from '../subscription/orderedDelivery.js'
import { EnvelopeHistory } from './envelopeHistory.js'

/** Everything the memory backend holds for one crawl. */
export class CrawlRecord {
  readonly crawlId: string
  readonly epoch: string
  readonly startedAt: number
  status: CrawlStatus = 'running'
  seq = 0
  readonly totals: ProgressTotals = { discovered: 0, processed: 0, failed: 0 }
  updatedAt: number
  terminal: TerminalEnvelope | null = null
  readonly history: EnvelopeHistory
  readonly subscribers = new Set<OrderedDelivery>()
  /** Envelopes waiting to be handed to every subscriber, oldest first. */
  readonly #outbox: EventEnvelope[] = []
  #dispatching = false
  /** When the crawl's state is due to go (idle TTL while running, TTL after the terminal event). */
  expiresAt: number
  expiryTimer: ReturnType<typeof setTimeout> | undefined

  constructor(
    crawlId: string,
    epoch: string,
    now: number,
    historyLimit: number,
    expiresAt: number,
  ) {
    this.crawlId = crawlId
    this.epoch = epoch
    this.startedAt = now
    this.updatedAt = now
    this.history = new EnvelopeHistory(historyLimit)
    this.expiresAt = expiresAt
  }

  /** Applies one validated input: counters, seq, history. Returns its envelope. */
  append(input: ProgressInput, ts: number): EventEnvelope {
    const { totals } = this
    if (input.type === 'discovery') totals.discovered += input.urls.length
    if (input.type === 'progress') {
      totals.discovered += input.delta.discovered ?? 0
      totals.processed += input.delta.processed ?? 0
      totals.failed += input.delta.failed ?? 0
    }
    this.seq += 1
    this.updatedAt = ts
    const envelope = {
      v: 1,
      epoch: this.epoch,
      seq: this.seq,
      crawlId: this.crawlId,
      ts,
      totals: { ...totals },
      ...input,
    } as EventEnvelope
    if (envelope.type === 'complete' || envelope.type === 'error') {
      this.terminal = envelope
      this.status = envelope.type === 'complete' ? 'completed' : 'failed'
    }
    this.history.push(envelope)
    return envelope
  }

  /**
   * Hands each envelope to every subscriber before the next one goes out. A handler that
   * publishes re-entrantly only queues its envelope, so no subscriber can see them reordered.
   */
  dispatch(envelopes: readonly EventEnvelope[]): void {
    this.#outbox.push(...envelopes)
    if (this.#dispatching) return
    this.#dispatching = true
    try {
      for (let next = this.#outbox.shift(); next; next = this.#outbox.shift()) {
        for (const delivery of this.subscribers) delivery.offer(next)
      }
    } finally {
      this.#dispatching = false
    }
  }

  toSnapshot(): ProgressSnapshot {
    return {
      crawlId: this.crawlId,
      epoch: this.epoch,
      status: this.status,
      seq: this.seq,
      totals: { ...this.totals },
      startedAt: this.startedAt,
      updatedAt: this.updatedAt,
      terminal: this.terminal,
    }
  }
}
