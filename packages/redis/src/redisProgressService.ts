import {
  type AppendOperation,
  CallTokens,
  CRAWL_ID_PATTERN,
  CrawlClosedError,
  CrawlNotFoundError,
  type EnvelopeHandler,
  type EventEnvelope,
  isProgressError,
  ProgressBackendError,
  type ProgressError,
  type ProgressInput,
  ProgressServiceBase,
  type ProgressServiceDiagnostics,
  type ProgressServiceOptions,
  type ProgressSnapshot,
  type ProgressSubscription,
  ProgressValidationError,
  type ResumePosition,
  resolveServiceOptions,
  ServiceClosedError,
  type StallSweepResult,
  StallWatch,
  totalsOverflowError,
} from '@docspasta/progress-core'
import type { Cluster, Redis } from 'ioredis'
import { CrawlStore } from './crawlStore.js'
import { type CrawlKeys, createValidatedIdKeyBuilder, runningIndexKey } from './keys.js'
import { RedisSubscription } from './redisSubscription.js'
import { SharedSubscriber } from './sharedSubscriber.js'

export interface RedisProgressServiceOptions extends ProgressServiceOptions {
  /** A connected ioredis `Redis` or `Cluster`. The service uses it and never closes it. */
  redis: Redis | Cluster
  /** Key prefix, default `docspasta:progress`. */
  prefix?: string
  /**
   * How long subscribe() waits for the subscriber connection before it fails with
   * ProgressBackendError (Redis down). Default 10,000 ms.
   */
  subscribeTimeoutMs?: number
  /**
   * Receives the subscriber connection's errors while ioredis reconnects (subscriptions resume
   * by themselves afterwards). Default: `console.warn`.
   */
  onConnectionError?: (error: ProgressBackendError) => void
}

/**
 * The Redis and Redis Cluster backend: every state change is one Lua script (status check,
 * counters, seq, history, publish), history is a capped stream for replay, and one shared
 * subscriber connection fans messages out to every subscription in the process.
 *
 * @example
 * const progress = new RedisProgressService({ redis: new Redis(process.env.REDIS_URL) })
 * await progress.start('crawl-1')
 * await progress.increment('crawl-1', { processed: 1 })
 */
export class RedisProgressService extends ProgressServiceBase {
  readonly #store: CrawlStore
  readonly #keys: (crawlId: string) => CrawlKeys
  readonly #subscriber: SharedSubscriber
  readonly #subscriptions = new Set<RedisSubscription>()
  readonly #reportConnectionError: (error: ProgressBackendError) => void
  readonly #subscribeTimeoutMs: number
  readonly #tokens = new CallTokens()
  readonly #runningIndex: string
  readonly #staleAfterMs: number
  readonly #stallWatch: StallWatch
  #closed = false

  constructor(options: RedisProgressServiceOptions) {
    super()
    const { redis, prefix, onConnectionError, subscribeTimeoutMs, ...serviceOptions } = options
    // ProgressServiceBase validated every crawl id that reaches the protected methods.
    this.#keys = createValidatedIdKeyBuilder(prefix)
    this.#runningIndex = runningIndexKey(prefix)
    const resolved = resolveServiceOptions(serviceOptions)
    this.#store = new CrawlStore(redis, resolved)
    this.#staleAfterMs = resolved.staleAfterMs
    this.#reportConnectionError = onConnectionError ?? ((error) => console.warn(error.message))
    this.#stallWatch = new StallWatch({
      staleAfterMs: this.#staleAfterMs,
      check: (crawlId) => this.#checkCrawl(crawlId),
      onError: (error) =>
        this.#reportConnectionError(
          error instanceof ProgressBackendError
            ? error
            : new ProgressBackendError('the stall check', error),
        ),
    })
    this.#subscribeTimeoutMs = parseSubscribeTimeout(subscribeTimeoutMs)
    this.#subscriber = new SharedSubscriber(redis, {
      onConnectionError: (cause) =>
        this.#reportConnectionError(new ProgressBackendError('the subscriber connection', cause)),
      subscribeTimeoutMs: this.#subscribeTimeoutMs,
    })
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#stallWatch.close()
    for (const subscription of [...this.#subscriptions]) subscription.fail(new ServiceClosedError())
    await this.#subscriber.close()
  }

  diagnostics(): ProgressServiceDiagnostics {
    let retrying = 0
    for (const subscription of this.#subscriptions) if (subscription.isRetrying) retrying += 1
    return {
      crawls: this.#subscriber.channelCount,
      subscriptions: this.#subscriptions.size,
      timers: this.#subscriber.timerCount + retrying + this.#stallWatch.timerCount,
    }
  }

  /**
   * Checks the crawls this instance has subscribers for and the running crawls of its prefix
   * that nobody saw alive for `staleAfterMs` (from the index start() keeps, 1,000 at a time).
   */
  async sweepStalled(): Promise<StallSweepResult> {
    this.#assertOpen()
    const seenBefore = Date.now() - (this.#staleAfterMs || UNCHECKED_INDEX_AGE_MS)
    let checked = 0
    const stalled: string[] = []
    for (let round = 0; ; round++) {
      const candidates = await this.#call('sweepStalled', () =>
        this.#store.staleCandidates(this.#runningIndex, seenBefore, SWEEP_PAGE),
      )
      // Only ids a crawl can have: the index is a plain key that anything could write to.
      const valid = candidates.filter((id) => CRAWL_ID_PATTERN.test(id))
      // The watched crawls once, with the first page.
      const sweep = await this.#stallWatch.sweep(valid, round === 0)
      checked += sweep.checked
      stalled.push(...sweep.stalled)
      const alive: string[] = []
      const done = candidates.filter((id) => !CRAWL_ID_PATTERN.test(id))
      for (const [id, outcome] of sweep.outcomes) {
        // A crawl this sweep failed left the index with its terminal.
        if (outcome === 'alive') alive.push(id)
        else if (outcome !== 'stalled') done.push(id)
      }
      // Every candidate leaves the page: renewed as alive now, or dropped from the index.
      await this.#call('sweepStalled', async () => {
        await this.#store.indexRunning(this.#runningIndex, alive, true)
        await this.#store.unindex(this.#runningIndex, done)
      })
      if (candidates.length < SWEEP_PAGE) return { checked, stalled }
    }
  }

  protected startCrawl(crawlId: string): Promise<ProgressSnapshot> {
    return this.#startIndexed(crawlId, 'start')
  }

  protected restartCrawl(crawlId: string, epoch: string | undefined): Promise<ProgressSnapshot> {
    return this.#startIndexed(crawlId, 'restart', epoch)
  }

  protected async beat(crawlId: string, epoch: string | undefined): Promise<boolean> {
    const keys = this.#keys(crawlId)
    const state = await this.#call('heartbeat', () => this.#store.heartbeat(keys, epoch))
    if (state === 'missing') throw new CrawlNotFoundError(crawlId)
    return state === 'running'
  }

  async #startIndexed(
    crawlId: string,
    mode: 'start' | 'restart',
    fromEpoch?: string,
  ): Promise<ProgressSnapshot> {
    // Made once per call, never per attempt: a restart that ioredis re-sends is applied once.
    const restartId = mode === 'restart' ? this.#tokens.operationId() : ''
    const keys = this.#keys(crawlId)
    return this.#call(mode, async () => {
      const snapshot = await this.#store.start(crawlId, keys, mode, restartId, fromEpoch)
      if (!snapshot.terminal) await this.#index(crawlId)
      return snapshot
    })
  }

  /** One crawl's stall check; a crawl found gone ends this process's subscribers of it. */
  async #checkCrawl(crawlId: string) {
    const outcome = await this.checkStalled(crawlId, this.#staleAfterMs)
    if (outcome === 'missing') {
      this.#endSubscriptionsOf(crawlId)
      await this.#unindex(crawlId)
    }
    return outcome
  }

  #endSubscriptionsOf(crawlId: string): void {
    for (const subscription of [...this.#subscriptions]) {
      if (subscription.crawlId === crawlId) subscription.onRemoved()
    }
  }

  protected async append(
    crawlId: string,
    inputs: ProgressInput[],
    operation: AppendOperation,
  ): Promise<EventEnvelope[]> {
    // Made once per call, never per attempt: what ioredis re-sends is applied once.
    const id = operation.id ?? this.#tokens.operationId()
    const outcome = await this.#call('publish', () =>
      this.#store.publish(crawlId, this.#keys(crawlId), inputs, { ...operation, id }),
    )
    if (outcome.kind === 'not-found') throw new CrawlNotFoundError(crawlId)
    if (outcome.kind === 'closed') throw new CrawlClosedError(crawlId)
    if (outcome.kind === 'restarted') throw new CrawlClosedError(crawlId, { restarted: true })
    if (outcome.kind === 'overflow') throw totalsOverflowError(outcome.counter)
    if (outcome.kind === 'alive') return []
    if (outcome.kind === 'forgotten') {
      const reason = `operation "${id}" was applied, but history no longer holds its envelopes`
      throw new ProgressBackendError('publish', new Error(reason))
    }
    const last = outcome.envelopes.at(-1)
    if (last?.type === 'complete' || last?.type === 'error') await this.#unindex(crawlId)
    return outcome.envelopes
  }

  /**
   * Adds a started crawl to the running index. The start itself succeeded whatever happens
   * here: a failure is reported, and the crawl is then checked only while it is watched.
   */
  async #index(crawlId: string): Promise<void> {
    try {
      await this.#store.indexRunning(this.#runningIndex, [crawlId])
    } catch (error) {
      this.#reportConnectionError(new ProgressBackendError('the running index update', error))
    }
  }

  /**
   * Drops a closed or removed crawl from the running index. The call that closed it succeeded
   * whatever happens here: a failure is reported, and the next sweep drops the entry instead.
   */
  async #unindex(crawlId: string): Promise<void> {
    try {
      await this.#store.unindex(this.#runningIndex, [crawlId])
    } catch (error) {
      this.#reportConnectionError(new ProgressBackendError('the running index update', error))
    }
  }

  protected async subscribeFrom(
    crawlId: string,
    handler: EnvelopeHandler,
    position: ResumePosition,
    onError: ((error: ProgressError) => void) | undefined,
  ): Promise<ProgressSubscription> {
    this.#assertOpen()
    const keys = this.#keys(crawlId)
    const subscription = new RedisSubscription({
      crawlId,
      keys,
      store: this.#store,
      handler,
      onError,
      retryReadsForMs: this.#subscribeTimeoutMs,
      onClosed: (closed) => {
        this.#subscriptions.delete(closed)
        this.#stallWatch.unwatch(crawlId)
        this.#subscriber.remove(keys.channel, closed)
      },
    })
    this.#subscriptions.add(subscription)
    this.#stallWatch.watch(crawlId)
    try {
      // Subscribed (acknowledged) before history is read, so no event falls between the two.
      await this.#subscriber.add(keys.channel, subscription)
      await subscription.start(position)
      // close() ran meanwhile: the caller gets no subscription that was ended under it.
      this.#assertOpen()
    } catch (error) {
      await subscription.unsubscribe()
      if (this.#closed) throw new ServiceClosedError()
      // Ended while opening (the crawl cleaned up, say): that is why the subscribe failed.
      if (subscription.failure) throw subscription.failure
      throw isProgressError(error) ? error : new ProgressBackendError('subscribe', error)
    }
    return subscription
  }

  protected readSnapshot(crawlId: string): Promise<ProgressSnapshot | null> {
    return this.#call('getSnapshot', () => this.#store.getSnapshot(crawlId, this.#keys(crawlId)))
  }

  protected async remove(crawlId: string): Promise<boolean> {
    const existed = await this.#call('cleanup', () => this.#store.cleanup(this.#keys(crawlId)))
    // Subscribers in this process end now; those elsewhere when the 'removed' message arrives.
    this.#endSubscriptionsOf(crawlId)
    await this.#unindex(crawlId)
    return existed
  }

  /** Runs one store operation on an open service; store errors become ProgressBackendError. */
  async #call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    this.#assertOpen()
    try {
      return await run()
    } catch (error) {
      throw new ProgressBackendError(operation, error)
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new ServiceClosedError()
  }
}

const MAX_SUBSCRIBE_TIMEOUT_MS = 3_600_000
/** Candidates a sweep reads from the running index at once. */
const SWEEP_PAGE = 1_000
/** With stall detection off, a sweep still drops index entries of crawls gone this long. */
const UNCHECKED_INDEX_AGE_MS = 60_000

/** The subscribe timeout, checked: a NaN or negative one would retry forever or never. */
function parseSubscribeTimeout(value: number | undefined): number {
  if (value === undefined) return 10_000
  if (!Number.isInteger(value) || value < 1 || value > MAX_SUBSCRIBE_TIMEOUT_MS) {
    throw new ProgressValidationError([
      {
        path: 'options.subscribeTimeoutMs',
        message: `must be an integer from 1 to ${MAX_SUBSCRIBE_TIMEOUT_MS} (milliseconds)`,
      },
    ])
  }
  return value
}
