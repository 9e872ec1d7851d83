import {
  type AppendOperation,
  CallTokens,
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
  totalsOverflowError,
} from '@docspasta/progress-core'
import type { Cluster, Redis } from 'ioredis'
import { CrawlStore } from './crawlStore.js'
import { type CrawlKeys, createValidatedIdKeyBuilder } from './keys.js'
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
  #closed = false

  constructor(options: RedisProgressServiceOptions) {
    super()
    const { redis, prefix, onConnectionError, subscribeTimeoutMs, ...serviceOptions } = options
    // ProgressServiceBase validated every crawl id that reaches the protected methods.
    this.#keys = createValidatedIdKeyBuilder(prefix)
    this.#store = new CrawlStore(redis, resolveServiceOptions(serviceOptions))
    this.#reportConnectionError = onConnectionError ?? ((error) => console.warn(error.message))
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
    for (const subscription of [...this.#subscriptions]) subscription.fail(new ServiceClosedError())
    await this.#subscriber.close()
  }

  diagnostics(): ProgressServiceDiagnostics {
    let retrying = 0
    for (const subscription of this.#subscriptions) if (subscription.isRetrying) retrying += 1
    return {
      crawls: this.#subscriber.channelCount,
      subscriptions: this.#subscriptions.size,
      timers: this.#subscriber.timerCount + retrying,
    }
  }

  protected startCrawl(crawlId: string): Promise<ProgressSnapshot> {
    return this.#call('start', () => this.#store.start(crawlId, this.#keys(crawlId)))
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
    if (outcome.kind === 'overflow') throw totalsOverflowError(outcome.counter)
    if (outcome.kind === 'forgotten') {
      const reason = `operation "${id}" was applied, but history no longer holds its envelopes`
      throw new ProgressBackendError('publish', new Error(reason))
    }
    return outcome.envelopes
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
        this.#subscriber.remove(keys.channel, closed)
      },
    })
    this.#subscriptions.add(subscription)
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
    for (const subscription of [...this.#subscriptions]) {
      if (subscription.crawlId === crawlId) subscription.onRemoved()
    }
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
