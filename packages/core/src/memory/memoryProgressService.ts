import {
  CrawlClosedError,
  CrawlNotFoundError,
  type ProgressError,
  ServiceClosedError,
} from '../errors.js'
import type { EventEnvelope, ProgressInput } from '../events.js'
import {
  type AppendOperation,
  ProgressServiceBase,
  type ResumePosition,
} from '../progressServiceBase.js'
import { createEpoch } from '../randomTokens.js'
import type {
  EnvelopeHandler,
  ProgressServiceDiagnostics,
  ProgressSnapshot,
  ProgressSubscription,
} from '../service.js'
import { type ProgressServiceOptions, resolveServiceOptions } from '../serviceOptions.js'
import { OrderedDelivery } from '../subscription/orderedDelivery.js'
import { applyResume, planResume } from '../subscription/resumePlan.js'
import { CrawlRecord } from './crawlRecord.js'

export interface MemoryProgressServiceOptions extends ProgressServiceOptions {
  /** The clock, in epoch milliseconds. Default `Date.now`. */
  now?: () => number
}

// setTimeout's largest delay; longer TTLs are reached by re-arming.
const MAX_TIMER_DELAY_MS = 2_147_483_647

/**
 * The embedded ProgressService: one process, no dependencies, the same semantics as the Redis
 * backend (contiguous seq, absolute totals, bounded history, one terminal envelope, TTLs).
 * Its timers are unref'd, so an open service never keeps a process alive.
 *
 * @example
 * const progress = new MemoryProgressService({ historyLimit: 500 })
 * await progress.start('crawl-1')
 * await progress.increment('crawl-1', { processed: 1 })
 */
export class MemoryProgressService extends ProgressServiceBase {
  readonly #options: Required<ProgressServiceOptions>
  readonly #now: () => number
  readonly #crawls = new Map<string, CrawlRecord>()
  #subscriptionCount = 0
  #closed = false

  constructor(options: MemoryProgressServiceOptions = {}) {
    super()
    const { now, ...serviceOptions } = options
    this.#options = resolveServiceOptions(serviceOptions)
    this.#now = now ?? Date.now
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    for (const record of [...this.#crawls.values()]) this.#remove(record, new ServiceClosedError())
  }

  diagnostics(): ProgressServiceDiagnostics {
    let timers = 0
    for (const record of this.#crawls.values()) if (record.expiryTimer !== undefined) timers += 1
    return { crawls: this.#crawls.size, subscriptions: this.#subscriptionCount, timers }
  }

  protected async startCrawl(crawlId: string): Promise<ProgressSnapshot> {
    this.#assertOpen()
    const existing = this.#find(crawlId)
    if (existing) return existing.toSnapshot()
    const now = this.#now()
    const { historyLimit, historyMaxBytes, idleTtlSeconds } = this.#options
    const record = new CrawlRecord(
      crawlId,
      createEpoch(),
      now,
      { limit: historyLimit, maxBytes: historyMaxBytes },
      now + idleTtlSeconds * 1000,
    )
    this.#crawls.set(crawlId, record)
    this.#armExpiry(record)
    return record.toSnapshot()
  }

  protected async subscribeFrom(
    crawlId: string,
    handler: EnvelopeHandler,
    position: ResumePosition,
    onError: ((error: ProgressError) => void) | undefined,
  ): Promise<ProgressSubscription> {
    this.#assertOpen()
    const record = this.#require(crawlId)
    const snapshot = record.toSnapshot()
    const stored =
      position.afterSeq === undefined ? undefined : record.history.at(position.afterSeq)
    const plan = planResume(snapshot, record.history.oldestSeq, position, stored?.tag)

    this.#subscriptionCount += 1
    const delivery = new OrderedDelivery({
      handler,
      onError,
      onClosed: () => {
        this.#subscriptionCount -= 1
        record.subscribers.delete(delivery)
      },
    })
    // Registered before the replay, so whatever a handler publishes during it reaches it too.
    record.subscribers.add(delivery)
    const replay = plan.kind === 'replay' ? record.history.after(plan.afterSeq) : []
    applyResume(delivery, snapshot, plan, replay, this.#now())

    return new MemorySubscription(delivery)
  }

  protected async readSnapshot(crawlId: string): Promise<ProgressSnapshot | null> {
    this.#assertOpen()
    return this.#find(crawlId)?.toSnapshot() ?? null
  }

  protected async remove(crawlId: string): Promise<boolean> {
    this.#assertOpen()
    const record = this.#find(crawlId)
    if (!record) return false
    this.#remove(record, new CrawlNotFoundError(crawlId))
    return true
  }

  protected async append(
    crawlId: string,
    inputs: ProgressInput[],
    operation: AppendOperation,
  ): Promise<EventEnvelope[]> {
    this.#assertOpen()
    const record = this.#require(crawlId)
    const applied = operation.id === undefined ? undefined : record.applied(operation.id)
    if (applied) return applied
    if (record.terminal) throw new CrawlClosedError(crawlId)
    const ts = this.#now()
    const envelopes = record.apply(inputs, operation, ts)
    if (record.terminal) {
      record.expiresAt = ts + this.#options.ttlSeconds * 1000
      this.#armExpiry(record)
    } else {
      // The armed timer re-arms itself when it finds the deadline moved; no timer work per event.
      record.expiresAt = ts + this.#options.idleTtlSeconds * 1000
    }
    record.dispatch(envelopes)
    return envelopes
  }

  /** The live record, or undefined; a record past its deadline is removed on sight. */
  #find(crawlId: string): CrawlRecord | undefined {
    const record = this.#crawls.get(crawlId)
    if (record && this.#now() >= record.expiresAt) {
      this.#remove(record, new CrawlNotFoundError(crawlId))
      return undefined
    }
    return record
  }

  #require(crawlId: string): CrawlRecord {
    const record = this.#find(crawlId)
    if (!record) throw new CrawlNotFoundError(crawlId)
    return record
  }

  #armExpiry(record: CrawlRecord): void {
    if (record.expiryTimer !== undefined) clearTimeout(record.expiryTimer)
    const delay = Math.min(Math.max(record.expiresAt - this.#now(), 0), MAX_TIMER_DELAY_MS)
    const timer = setTimeout(() => {
      record.expiryTimer = undefined
      if (this.#crawls.get(record.crawlId) !== record) return
      if (this.#now() >= record.expiresAt)
        this.#remove(record, new CrawlNotFoundError(record.crawlId))
      else this.#armExpiry(record)
    }, delay)
    // Not available in every runtime; where it is, a pending TTL must not hold the process open.
    ;(timer as { unref?: () => void }).unref?.()
    record.expiryTimer = timer
  }

  #remove(record: CrawlRecord, reason: CrawlNotFoundError | ServiceClosedError): void {
    if (record.expiryTimer !== undefined) clearTimeout(record.expiryTimer)
    record.expiryTimer = undefined
    this.#crawls.delete(record.crawlId)
    for (const delivery of [...record.subscribers]) delivery.fail(reason)
  }

  #assertOpen(): void {
    if (this.#closed) throw new ServiceClosedError()
  }
}

/** One subscriber's handle: a class, so the many open ones share their methods. */
class MemorySubscription implements ProgressSubscription {
  readonly #delivery: OrderedDelivery

  constructor(delivery: OrderedDelivery) {
    this.#delivery = delivery
  }

  get closed(): boolean {
    return this.#delivery.closed
  }

  async unsubscribe(): Promise<void> {
    this.#delivery.close()
  }
}
