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
  StallSweepResult,
} from '../service.js'
import { type ProgressServiceOptions, resolveServiceOptions } from '../serviceOptions.js'
import { StallWatch } from '../stall/stallWatch.js'
import { OrderedDelivery } from '../subscription/orderedDelivery.js'
import { applyResume, planResume, toSnapshotEnvelope } from '../subscription/resumePlan.js'
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
  readonly #stallWatch: StallWatch
  #subscriptionCount = 0
  #closed = false

  constructor(options: MemoryProgressServiceOptions = {}) {
    super()
    const { now, ...serviceOptions } = options
    this.#options = resolveServiceOptions(serviceOptions)
    this.#now = now ?? Date.now
    const { staleAfterMs } = this.#options
    this.#stallWatch = new StallWatch({
      staleAfterMs,
      check: (crawlId) => this.checkStalled(crawlId, staleAfterMs),
      // Nothing in memory fails but a closed service, which stops the watch first.
      onError: (error) =>
        queueMicrotask(() => {
          throw error
        }),
    })
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#stallWatch.close()
    for (const record of [...this.#crawls.values()]) this.#remove(record, new ServiceClosedError())
  }

  diagnostics(): ProgressServiceDiagnostics {
    let timers = this.#stallWatch.timerCount
    for (const record of this.#crawls.values()) if (record.expiryTimer !== undefined) timers += 1
    return { crawls: this.#crawls.size, subscriptions: this.#subscriptionCount, timers }
  }

  /** Checks every crawl this instance holds (in memory, that is every crawl there is). */
  async sweepStalled(): Promise<StallSweepResult> {
    this.#assertOpen()
    const { checked, stalled } = await this.#stallWatch.sweep(this.#crawls.keys())
    return { checked, stalled }
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

  protected async restartCrawl(
    crawlId: string,
    epoch: string | undefined,
  ): Promise<ProgressSnapshot> {
    this.#assertOpen()
    const record = this.#find(crawlId)
    if (!record) return this.startCrawl(crawlId)
    // Already as new (a failed attempt and the next one may both restart it), or restarted by
    // someone else since the epoch this restart was meant for: nothing to do.
    const asNew = !record.terminal && record.seq === 0 && record.beatAt === 0
    if (asNew || (epoch !== undefined && epoch !== record.epoch)) return record.toSnapshot()
    const now = this.#now()
    record.restart(createEpoch(), now)
    record.expiresAt = now + this.#options.idleTtlSeconds * 1000
    this.#armExpiry(record)
    const snapshot = record.toSnapshot()
    // Open subscribers move to the new epoch in the same step: a resync, never an error.
    record.dispatch([toSnapshotEnvelope(snapshot, true, now)])
    return snapshot
  }

  protected async beat(crawlId: string, epoch: string | undefined): Promise<boolean> {
    this.#assertOpen()
    const record = this.#require(crawlId)
    if (record.terminal || (epoch !== undefined && epoch !== record.epoch)) return false
    const now = this.#now()
    record.beatAt = now
    record.expiresAt = now + this.#options.idleTtlSeconds * 1000
    return true
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
    this.#stallWatch.watch(crawlId)
    const delivery = new OrderedDelivery({
      handler,
      onError,
      onClosed: () => {
        this.#subscriptionCount -= 1
        this.#stallWatch.unwatch(crawlId)
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
    if (operation.epoch !== undefined && operation.epoch !== record.epoch) {
      throw new CrawlClosedError(crawlId, { restarted: true })
    }
    const ts = this.#now()
    const { staleAfterMs } = operation
    // A crawl no worker claimed (no event, no heartbeat) waits for one, however long.
    const claimed = record.seq > 0 || record.beatAt > 0
    if (staleAfterMs !== undefined && (!claimed || ts - record.aliveAt < staleAfterMs)) return []
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
