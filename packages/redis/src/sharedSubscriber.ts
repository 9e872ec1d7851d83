import type { EventEnvelope } from '@docspasta/progress-core'
import type { Cluster, Redis } from 'ioredis'

/** What a channel's local subscribers are told. */
export interface ChannelListener {
  /** New envelopes, in seq order (one PUBLISH of the publish script). */
  onEnvelopes(envelopes: readonly EventEnvelope[]): void
  /** The crawl was deleted (cleanup) in some process. */
  onRemoved(): void
  /** The subscriber connection came back: messages may have been missed meanwhile. */
  onReconnected(): void
}

interface ChannelEntry {
  listeners: Set<ChannelListener>
  /** Settles when Redis acknowledged the subscription. */
  subscribed: Promise<void>
}

/**
 * One dedicated pub/sub connection per service, shared by every subscription in the process and
 * ref-counted per channel: the first listener subscribes, the last one unsubscribes. Each message
 * is parsed once, whatever the number of listeners.
 */
export class SharedSubscriber {
  readonly #connection: Redis | Cluster
  readonly #sharded: boolean
  readonly #channels = new Map<string, ChannelEntry>()
  #hasBeenReady = false
  readonly #firstReady: Promise<void>
  #closing = false
  /** Rejects when close() starts, so nothing waits for a connection that will never come. */
  readonly #closed: Promise<never>
  #rejectClosed: (error: Error) => void = () => {}
  readonly #subscribeTimeoutMs: number

  readonly #onConnectionError: (error: Error) => void

  constructor(
    redis: Redis | Cluster,
    onConnectionError: (error: Error) => void,
    subscribeTimeoutMs: number,
  ) {
    this.#onConnectionError = onConnectionError
    this.#subscribeTimeoutMs = subscribeTimeoutMs
    this.#closed = new Promise<never>((_, reject) => {
      this.#rejectClosed = reject
    })
    this.#closed.catch(() => undefined)
    this.#sharded = redis.isCluster
    // A duplicate: the caller's connection stays free for commands, and we close only our own.
    this.#connection = redis.isCluster
      ? (redis as Cluster).duplicate(undefined, { shardedSubscribers: true })
      : (redis as Redis).duplicate()
    this.#connection.on(this.#sharded ? 'smessage' : 'message', this.#onMessage)
    this.#firstReady = new Promise((resolve, reject) => {
      this.#connection.once('ready', resolve)
      this.#connection.once('end', () => reject(new Error('the subscriber connection closed')))
    })
    // Awaited by every subscribe; a rejection nobody awaits yet must not be reported as unhandled.
    this.#firstReady.catch(() => undefined)
    this.#connection.on('ready', this.#onReady)
    // ioredis retries the connection; its errors go to the service's owner, never nowhere.
    this.#connection.on('error', this.#onConnectionError)
    // A caller's lazyConnect is inherited by duplicate(); this connection is needed right away.
    if (this.#connection.status === 'wait') {
      this.#connection.connect().catch(this.#onConnectionError)
    }
  }

  /** Channels with at least one local listener. */
  get channelCount(): number {
    return this.#channels.size
  }

  /** Adds a listener; resolves once Redis has acknowledged the channel's subscription. */
  async add(channel: string, listener: ChannelListener): Promise<void> {
    let entry = this.#channels.get(channel)
    if (!entry) {
      entry = { listeners: new Set(), subscribed: this.#subscribe(channel) }
      this.#channels.set(channel, entry)
      // A failed subscribe must not stay cached for the next caller.
      entry.subscribed.catch(() => {
        if (this.#channels.get(channel) === entry) this.#channels.delete(channel)
      })
    }
    entry.listeners.add(listener)
    await entry.subscribed
  }

  /** Removes a listener; the channel is unsubscribed when it was the last one. */
  async remove(channel: string, listener: ChannelListener): Promise<void> {
    const entry = this.#channels.get(channel)
    if (!entry?.listeners.delete(listener) || entry.listeners.size > 0) return
    this.#channels.delete(channel)
    // While closing, an UNSUBSCRIBE would only queue up in front of QUIT.
    if (this.#closing || this.#connection.status !== 'ready') return
    await (this.#sharded
      ? this.#connection.sunsubscribe(channel)
      : this.#connection.unsubscribe(channel))
  }

  async close(): Promise<void> {
    this.#closing = true
    this.#rejectClosed(new Error('the progress service closed'))
    this.#channels.clear()
    this.#connection.off(this.#sharded ? 'smessage' : 'message', this.#onMessage)
    this.#connection.off('ready', this.#onReady)
    if (this.#connection.status === 'ready') {
      await this.#connection.quit().catch(() => this.#connection.disconnect())
    } else if (this.#connection.status !== 'end') {
      // Not connected (Redis down, reconnecting): QUIT would wait for a connection forever.
      this.#connection.disconnect()
    }
    this.#connection.off('error', this.#onConnectionError)
  }

  /** SUBSCRIBE (SSUBSCRIBE on a cluster), bounded in time so a request never waits forever. */
  async #subscribe(channel: string): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no subscriber connection within ${this.#subscribeTimeoutMs} ms`)),
        this.#subscribeTimeoutMs,
      )
    })
    try {
      // A SUBSCRIBE sent between connect and ready (during the ready check) is acknowledged but
      // lost from ioredis' subscriber bookkeeping, and its messages are never emitted.
      if (this.#connection.status !== 'ready') {
        await Promise.race([this.#firstReady, this.#closed, timeout])
      }
      const command = this.#sharded
        ? this.#connection.ssubscribe(channel)
        : this.#connection.subscribe(channel)
      await Promise.race([command, this.#closed, timeout])
    } finally {
      clearTimeout(timer)
    }
  }

  readonly #onMessage = (channel: string, message: string): void => {
    const entry = this.#channels.get(channel)
    if (!entry) return
    if (message === 'removed') {
      for (const listener of [...entry.listeners]) listener.onRemoved()
      return
    }
    let envelopes: EventEnvelope[]
    try {
      envelopes = JSON.parse(message) as EventEnvelope[]
      if (!Array.isArray(envelopes)) throw new TypeError('not an array of envelopes')
    } catch (error) {
      // Someone else published on our channel: report it, and let the stream carry on.
      this.#onConnectionError(new Error(`unreadable message on ${channel}`, { cause: error }))
      return
    }
    // No copy per message: a listener leaving mid-loop is skipped, one joining holds and dedupes.
    for (const listener of entry.listeners) listener.onEnvelopes(envelopes)
  }

  readonly #onReady = (): void => {
    if (!this.#hasBeenReady) {
      this.#hasBeenReady = true
      return
    }
    // ioredis re-subscribes on reconnect; subscribing again is idempotent and its reply tells us
    // the subscription is back before the listeners re-read history.
    for (const [channel, entry] of this.#channels) {
      this.#subscribe(channel).then(
        () => {
          for (const listener of [...entry.listeners]) listener.onReconnected()
        },
        (error: unknown) => {
          this.#onConnectionError(error instanceof Error ? error : new Error(String(error)))
          // History is re-read all the same: what ioredis re-subscribed may be live again.
          for (const listener of [...entry.listeners]) listener.onReconnected()
        },
      )
    }
  }
}
