import {
  type CompleteStats,
  CrawlClosedError,
  CrawlNotFoundError,
  type EnvelopeHandler,
  type EventEnvelope,
  isProgressError,
  ProgressBackendError,
  type ProgressDelta,
  type ProgressErrorInfo,
  type ProgressInput,
  type ProgressService,
  type ProgressServiceDiagnostics,
  type ProgressServiceOptions,
  type ProgressSnapshot,
  type ProgressSubscription,
  type ProgressTotals,
  parseCrawlId,
  parseDelta,
  parseErrorInfo,
  parseInput,
  parseInputs,
  parseResumePosition,
  parseStats,
  resolveServiceOptions,
  ServiceClosedError,
  type SubscribeOptions,
} from '@docspasta/progress-core'
import type { Cluster, Redis } from 'ioredis'
import { CrawlStore } from './crawlStore.js'
import { type CrawlKeys, createKeyBuilder } from './keys.js'
import { RedisSubscription } from './redisSubscription.js'
import { SharedSubscriber } from './sharedSubscriber.js'

export interface RedisProgressServiceOptions extends ProgressServiceOptions {
  /** A connected ioredis `Redis` or `Cluster`. The service uses it and never closes it. */
  redis: Redis | Cluster
  /** Key prefix, default `docspasta:progress`. */
  prefix?: string
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
export class RedisProgressService implements ProgressService {
  readonly #store: CrawlStore
  readonly #keys: (crawlId: string) => CrawlKeys
  readonly #subscriber: SharedSubscriber
  readonly #subscriptions = new Set<RedisSubscription>()
  readonly #reportConnectionError: (error: ProgressBackendError) => void
  #closed = false

  constructor(options: RedisProgressServiceOptions) {
    const { redis, prefix, onConnectionError, ...serviceOptions } = options
    this.#keys = createKeyBuilder(prefix)
    this.#store = new CrawlStore(redis, resolveServiceOptions(serviceOptions))
    this.#reportConnectionError = onConnectionError ?? ((error) => console.warn(error.message))
    this.#subscriber = new SharedSubscriber(redis, (cause) =>
      this.#reportConnectionError(new ProgressBackendError('the subscriber connection', cause)),
    )
  }

  async start(crawlId: string): Promise<ProgressSnapshot> {
    const id = parseCrawlId(crawlId)
    return this.#call('start', () => this.#store.start(id, this.#keys(id)))
  }

  async publish(crawlId: string, input: ProgressInput): Promise<EventEnvelope> {
    const id = parseCrawlId(crawlId)
    const [envelope] = await this.#append(id, [parseInput(input)])
    return envelope as EventEnvelope
  }

  async publishBatch(crawlId: string, inputs: readonly ProgressInput[]): Promise<EventEnvelope[]> {
    const id = parseCrawlId(crawlId)
    return this.#append(id, parseInputs(inputs))
  }

  async increment(crawlId: string, delta: ProgressDelta): Promise<ProgressTotals> {
    const id = parseCrawlId(crawlId)
    const [envelope] = await this.#append(id, [{ type: 'progress', delta: parseDelta(delta) }])
    return (envelope as EventEnvelope).totals
  }

  async complete(crawlId: string, stats: CompleteStats = {}): Promise<boolean> {
    const id = parseCrawlId(crawlId)
    return this.#finish(id, { type: 'complete', stats: parseStats(stats) })
  }

  async fail(crawlId: string, error: ProgressErrorInfo): Promise<boolean> {
    const id = parseCrawlId(crawlId)
    return this.#finish(id, { type: 'error', error: parseErrorInfo(error) })
  }

  async subscribe(
    crawlId: string,
    handler: EnvelopeHandler,
    options: SubscribeOptions = {},
  ): Promise<ProgressSubscription> {
    const id = parseCrawlId(crawlId)
    const position = parseResumePosition(options)
    this.#assertOpen()
    const keys = this.#keys(id)
    const subscription = new RedisSubscription({
      crawlId: id,
      keys,
      store: this.#store,
      handler,
      onError: options.onError,
      onClosed: (closed) => {
        this.#subscriptions.delete(closed)
        this.#subscriber.remove(keys.channel, closed).catch((cause: unknown) => {
          this.#reportConnectionError(new ProgressBackendError('unsubscribe', cause))
        })
      },
    })
    this.#subscriptions.add(subscription)
    try {
      // Subscribed (acknowledged) before history is read, so no event falls between the two.
      await this.#subscriber.add(keys.channel, subscription)
      await subscription.start(position)
    } catch (error) {
      await subscription.unsubscribe()
      throw isProgressError(error) ? error : new ProgressBackendError('subscribe', error)
    }
    return subscription
  }

  async getSnapshot(crawlId: string): Promise<ProgressSnapshot | null> {
    const id = parseCrawlId(crawlId)
    return this.#call('getSnapshot', () => this.#store.getSnapshot(id, this.#keys(id)))
  }

  async cleanup(crawlId: string): Promise<boolean> {
    const id = parseCrawlId(crawlId)
    const existed = await this.#call('cleanup', () => this.#store.cleanup(this.#keys(id)))
    // Subscribers in this process end now; those elsewhere when the 'removed' message arrives.
    for (const subscription of [...this.#subscriptions]) {
      if (subscription.crawlId === id) subscription.onRemoved()
    }
    return existed
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    for (const subscription of [...this.#subscriptions]) subscription.fail(new ServiceClosedError())
    await this.#subscriber.close()
  }

  diagnostics(): ProgressServiceDiagnostics {
    return {
      crawls: this.#subscriber.channelCount,
      subscriptions: this.#subscriptions.size,
      timers: 0,
    }
  }

  async #finish(crawlId: string, input: ProgressInput): Promise<boolean> {
    try {
      await this.#append(crawlId, [input])
      return true
    } catch (error) {
      if (error instanceof CrawlClosedError) return false
      throw error
    }
  }

  async #append(crawlId: string, inputs: ProgressInput[]): Promise<EventEnvelope[]> {
    const outcome = await this.#call('publish', () =>
      this.#store.publish(crawlId, this.#keys(crawlId), inputs),
    )
    if (outcome.kind === 'not-found') throw new CrawlNotFoundError(crawlId)
    if (outcome.kind === 'closed') throw new CrawlClosedError(crawlId)
    return outcome.envelopes
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
