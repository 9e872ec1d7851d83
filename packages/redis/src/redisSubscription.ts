import {
  applyResume,
  CrawlNotFoundError,
  type DeliveryOutcome,
  type EnvelopeHandler,
  type EventEnvelope,
  OrderedDelivery,
  ProgressBackendError,
  type ProgressError,
  type ProgressSubscription,
  planResume,
  type ResumePosition,
} from '@docspasta/progress-core'
import type { CrawlStore } from './crawlStore.js'
import type { CrawlKeys } from './keys.js'
import type { ChannelListener } from './sharedSubscriber.js'

// Live envelopes held while history is read; past this they are dropped and re-read instead.
const MAX_BUFFERED = 10_000
// A re-read that fails (a cluster still settling after a failover) is retried this often.
const FIRST_RETRY_MS = 20
const MAX_RETRY_MS = 500

export interface RedisSubscriptionOptions {
  crawlId: string
  keys: CrawlKeys
  store: CrawlStore
  handler: EnvelopeHandler
  onError?: ((error: ProgressError) => void) | undefined
  /** Called once when the subscription ends, so the service can release the channel. */
  onClosed: (subscription: RedisSubscription) => void
  /** How long a failing re-read is retried before the subscription ends with the error. */
  retryReadsForMs: number
}

/**
 * One subscriber of one crawl. History reads and live messages meet here: live envelopes that
 * arrive while history is being read are buffered, then offered after it, and OrderedDelivery
 * drops what history already delivered. A live envelope that skips ahead, a reconnect, or an
 * overflowing buffer starts another read from the last delivered seq.
 */
export class RedisSubscription implements ChannelListener, ProgressSubscription {
  readonly #options: RedisSubscriptionOptions
  readonly #delivery: OrderedDelivery
  #epoch: string | undefined
  /** True until start() has read history: live messages are held until then. */
  #syncing = true
  #resyncRequested = false
  #failure: ProgressError | undefined
  #retryTimer: ReturnType<typeof setTimeout> | undefined
  #wakeRetry: (() => void) | undefined
  #buffer: EventEnvelope[] = []

  constructor(options: RedisSubscriptionOptions) {
    this.#options = options
    this.#delivery = new OrderedDelivery({
      handler: options.handler,
      onError: options.onError,
      onClosed: () => {
        this.#stopRetry()
        options.onClosed(this)
      },
    })
  }

  get closed(): boolean {
    return this.#delivery.closed
  }

  get crawlId(): string {
    return this.#options.crawlId
  }

  /** True while a failed re-read waits to be retried (a timer of this subscription's). */
  get isRetrying(): boolean {
    return this.#retryTimer !== undefined
  }

  async unsubscribe(): Promise<void> {
    this.#delivery.close()
  }

  /** Ends the subscription with an error (service closed, crawl removed, store failure). */
  fail(error: ProgressError): void {
    this.#fail(error)
  }

  /**
   * Delivers the replay or snapshot for a resume position, then whatever arrived live meanwhile.
   * Throws CrawlNotFoundError when the crawl does not exist.
   */
  async start(position: ResumePosition): Promise<void> {
    this.#syncing = true
    try {
      await this.#read(position)
      await this.#catchUp()
    } finally {
      this.#syncing = false
    }
  }

  onEnvelopes(envelopes: readonly EventEnvelope[]): void {
    if (this.closed) return
    if (this.#syncing) {
      this.#hold(envelopes)
      return
    }
    // An index, not an iterator: this runs per subscriber per message.
    for (let index = 0; index < envelopes.length; index++) {
      const outcome = this.#offerLive(envelopes[index] as EventEnvelope)
      if (outcome === 'gap') {
        // History fills the hole (or a new epoch's snapshot replaces it), then the rest follows.
        this.#hold(envelopes.slice(index))
        this.#resync()
        return
      }
      if (outcome === 'closed') return
    }
  }

  onRemoved(): void {
    this.#fail(new CrawlNotFoundError(this.#options.crawlId))
  }

  onReconnected(): void {
    if (!this.closed) this.#resync()
  }

  /** The re-read finds another epoch and delivers a `resync` snapshot of the new state. */
  onRestarted(): void {
    if (!this.closed) this.#resync()
  }

  onLost(error: Error): void {
    this.#fail(new ProgressBackendError('resubscribe', error))
  }

  /** The error the subscription ended with, if it ended with one. */
  get failure(): ProgressError | undefined {
    return this.#failure
  }

  #fail(error: ProgressError): void {
    if (this.closed) return
    this.#failure = error
    this.#delivery.fail(error)
  }

  #hold(envelopes: readonly EventEnvelope[]): void {
    if (this.#buffer.length + envelopes.length > MAX_BUFFERED) {
      this.#buffer = []
      this.#resyncRequested = true
      return
    }
    this.#buffer.push(...envelopes)
  }

  #resync(): void {
    if (this.#syncing) {
      this.#resyncRequested = true
      return
    }
    this.#syncing = true
    this.#catchUpRetrying()
      .catch((cause: unknown) => {
        this.#fail(
          cause instanceof CrawlNotFoundError ? cause : new ProgressBackendError('resync', cause),
        )
      })
      .finally(() => {
        this.#syncing = false
      })
  }

  /**
   * A re-read that fails is retried with a growing delay for `retryReadsForMs` (a store that
   * is reachable again may still refuse reads while it settles); a crawl that is gone is not.
   */
  async #catchUpRetrying(): Promise<void> {
    const deadline = Date.now() + this.#options.retryReadsForMs
    let delay = FIRST_RETRY_MS
    for (;;) {
      try {
        await this.#catchUp(true)
        return
      } catch (cause) {
        if (cause instanceof CrawlNotFoundError || Date.now() + delay > deadline) throw cause
      }
      await this.#pause(delay)
      if (this.closed) return
      delay = Math.min(delay * 2, MAX_RETRY_MS)
    }
  }

  #pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#wakeRetry = resolve
      this.#retryTimer = setTimeout(() => this.#stopRetry(), ms)
    })
  }

  #stopRetry(): void {
    clearTimeout(this.#retryTimer)
    this.#retryTimer = undefined
    const wake = this.#wakeRetry
    this.#wakeRetry = undefined
    wake?.()
  }

  /** Drains the buffer; reads history again whenever it finds a hole or was asked to. */
  async #catchUp(readFirst = false): Promise<void> {
    let mustRead = readFirst
    while (!this.closed) {
      if (mustRead || this.#resyncRequested) {
        this.#resyncRequested = false
        await this.#read({
          afterSeq: this.#delivery.lastSeq,
          epoch: this.#epoch,
          tag: this.#delivery.lastTag,
        })
      }
      const held = this.#buffer
      this.#buffer = []
      mustRead = false
      for (const envelope of held) {
        if (this.closed) return
        if (this.#offerLive(envelope) === 'gap') mustRead = true
      }
      if (!mustRead && !this.#resyncRequested && this.#buffer.length === 0) return
    }
  }

  /**
   * A live envelope of another epoch than the one read last is a gap: history decides. So is one
   * at the last delivered seq with another tag: the store came back with older data and gave
   * that seq to another event, which the re-read answers with a resync snapshot.
   */
  #offerLive(envelope: EventEnvelope): DeliveryOutcome {
    if (envelope.epoch !== this.#epoch) return 'gap'
    const delivery = this.#delivery
    const outcome = delivery.offer(envelope)
    const retagged =
      outcome === 'duplicate' &&
      envelope.seq === delivery.lastSeq &&
      envelope.tag !== undefined &&
      delivery.lastTag !== undefined &&
      envelope.tag !== delivery.lastTag
    return retagged ? 'gap' : outcome
  }

  async #read(position: ResumePosition): Promise<void> {
    const { store, crawlId, keys } = this.#options
    const after =
      position.afterSeq === undefined || position.afterSeq < 0 ? undefined : position.afterSeq
    const read = await store.read(crawlId, keys, after ?? Number.MAX_SAFE_INTEGER)
    if (!read.snapshot) throw new CrawlNotFoundError(crawlId)
    const snapshot = read.snapshot
    const plan = planResume(
      snapshot,
      read.oldestSeq,
      { afterSeq: after, epoch: position.epoch, tag: position.tag },
      read.storedTag,
    )
    this.#epoch = snapshot.epoch
    // History of an earlier epoch (state lost, stream kept) is not this crawl's.
    const replay = read.envelopes.filter((envelope) => envelope.epoch === snapshot.epoch)
    applyResume(this.#delivery, snapshot, plan, replay, Date.now())
  }
}
