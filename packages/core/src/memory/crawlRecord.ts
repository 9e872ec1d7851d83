import { MAX_TOTAL } from '@docspasta/progress-protocol'
import type {
  CrawlStatus,
  EventEnvelope,
  ProgressEnvelope,
  ProgressInput,
  ProgressTotals,
  TerminalEnvelope,
} from '../events.js'
import type { AppendOperation } from '../progressServiceBase.js'
import type { ProgressSnapshot } from '../service.js'
import type { OrderedDelivery } from '../subscription/orderedDelivery.js'
import { totalsOverflowError } from '../validate.js'
import { EnvelopeHistory } from './envelopeHistory.js'

const COUNTERS = ['discovered', 'processed', 'failed'] as const

/** What one input adds to one counter. */
function amountOf(input: ProgressInput, counter: (typeof COUNTERS)[number]): number {
  if (input.type === 'discovery') return counter === 'discovered' ? input.urls.length : 0
  return input.type === 'progress' ? (input.delta[counter] ?? 0) : 0
}

/** Everything the memory backend holds for one crawl. */
export class CrawlRecord {
  readonly crawlId: string
  epoch: string
  startedAt: number
  status: CrawlStatus = 'running'
  seq = 0
  readonly totals: ProgressTotals = { discovered: 0, processed: 0, failed: 0 }
  updatedAt: number
  /** When a worker last sent a heartbeat (0 before the first). */
  beatAt = 0
  /** The phase of the latest progress detail that named one. */
  phase: string | undefined
  terminal: TerminalEnvelope | null = null
  history: EnvelopeHistory
  readonly #historyBounds: { limit: number; maxBytes: number }
  readonly subscribers = new Set<OrderedDelivery>()
  /**
   * Applied caller-supplied operation ids (nothing here re-sends a call by itself), each with
   * the seq of its call's last envelope, oldest first. An id is remembered while history holds
   * that envelope; the map is pruned when it outgrows history.
   */
  readonly #operations = new Map<string, number>()
  /** Envelopes waiting to be handed to every subscriber, oldest first. */
  readonly #outbox: ProgressEnvelope[] = []
  #dispatching = false
  /** When the crawl's state is due to go (idle TTL while running, TTL after the terminal event). */
  expiresAt: number
  expiryTimer: ReturnType<typeof setTimeout> | undefined

  constructor(
    crawlId: string,
    epoch: string,
    now: number,
    history: { limit: number; maxBytes: number },
    expiresAt: number,
  ) {
    this.crawlId = crawlId
    this.epoch = epoch
    this.startedAt = now
    this.updatedAt = now
    this.#historyBounds = history
    this.history = new EnvelopeHistory(history.limit, history.maxBytes)
    this.expiresAt = expiresAt
  }

  /** When a worker last showed it is alive: its last publish or heartbeat. */
  get aliveAt(): number {
    return Math.max(this.updatedAt, this.beatAt)
  }

  /**
   * Starts the crawl over under a new epoch: zeroed counters, empty history, no operation ids.
   * Subscribers stay; the caller sends them the new state.
   */
  restart(epoch: string, now: number): void {
    this.epoch = epoch
    this.startedAt = now
    this.updatedAt = now
    this.beatAt = 0
    this.phase = undefined
    this.status = 'running'
    this.seq = 0
    for (const counter of COUNTERS) this.totals[counter] = 0
    this.terminal = null
    this.history = new EnvelopeHistory(this.#historyBounds.limit, this.#historyBounds.maxBytes)
    this.#operations.clear()
  }

  /** The envelopes of the call that applied `operationId`, as far as history holds them. */
  applied(operationId: string): EventEnvelope[] | undefined {
    const last = this.#operations.get(operationId)
    return last === undefined ? undefined : this.history.callEndingAt(last)
  }

  /**
   * Applies one call's validated inputs: counters, seq, history, operation id. All or nothing:
   * a total that would pass MAX_TOTAL throws before anything changes.
   */
  apply(inputs: readonly ProgressInput[], operation: AppendOperation, ts: number): EventEnvelope[] {
    for (const counter of COUNTERS) {
      let total = this.totals[counter]
      for (const input of inputs) {
        const amount = amountOf(input, counter)
        // Both terms are safe integers, so this comparison is exact where a sum might not be.
        if (amount > MAX_TOTAL - total) throw totalsOverflowError(counter)
        total += amount
      }
    }
    const callStart = this.seq + 1
    const single = inputs.length === 1
    const envelopes = inputs.map((input, index) => {
      for (const counter of COUNTERS) this.totals[counter] += amountOf(input, counter)
      // One tag per envelope: the call's own, with the envelope's place in a batch.
      const tag = single ? operation.tag : `${operation.tag}${index.toString(36)}`
      return this.#append(input, tag, ts, operation.sizes[index] as number, callStart)
    })
    this.updatedAt = ts
    if (operation.id !== undefined) {
      this.#operations.set(operation.id, this.seq)
      if (this.#operations.size > 2 * this.history.capacity) this.#forgetOperations()
    }
    return envelopes
  }

  /** Drops the ids whose call's last envelope left history (oldest first, so it stops early). */
  #forgetOperations(): void {
    const oldest = this.history.oldestSeq
    for (const [id, last] of this.#operations) {
      if (last >= oldest) break
      this.#operations.delete(id)
    }
  }

  /** One envelope, tagged with its call's tag and its place in the call. */
  #append(input: ProgressInput, tag: string, ts: number, bytes: number, callStart: number) {
    this.seq += 1
    const envelope = {
      v: 1,
      epoch: this.epoch,
      seq: this.seq,
      crawlId: this.crawlId,
      ts,
      tag,
      totals: { ...this.totals },
      ...input,
    } as EventEnvelope
    if (envelope.type === 'progress' && envelope.detail?.phase !== undefined) {
      this.phase = envelope.detail.phase
    }
    if (envelope.type === 'complete' || envelope.type === 'error') {
      this.terminal = envelope
      this.status = envelope.type === 'complete' ? 'completed' : 'failed'
    }
    this.history.push(envelope, bytes, callStart)
    return envelope
  }

  /**
   * Hands each envelope to every subscriber before the next one goes out. A handler that
   * publishes re-entrantly only queues its envelope, so no subscriber can see them reordered.
   */
  dispatch(envelopes: readonly ProgressEnvelope[]): void {
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
      ...(this.seq > 0 ? { tag: this.history.at(this.seq)?.tag as string } : {}),
      ...(this.phase !== undefined ? { phase: this.phase } : {}),
    }
  }
}
