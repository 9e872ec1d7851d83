import { type EventEnvelope, ServiceClosedError } from '@docspasta/progress-core'
import type { Cluster, Redis } from 'ioredis'
import { hashSlot } from './hashSlot.js'

/** What a channel's local subscribers are told. */
export interface ChannelListener {
  /** New envelopes, in seq order (one PUBLISH of the publish script). */
  onEnvelopes(envelopes: readonly EventEnvelope[]): void
  /** The crawl was deleted (cleanup) in some process. */
  onRemoved(): void
  /** The subscription is acknowledged again after a reconnect: messages may have been missed. */
  onReconnected(): void
  /** The crawl was started over (restart) in some process: its state must be read again. */
  onRestarted(): void
  /** The subscription could not be restored after a reconnect within the subscribe timeout. */
  onLost(error: Error): void
}

interface ChannelEntry {
  listeners: Set<ChannelListener>
  /** Settles when Redis acknowledged the channel's first subscription. */
  subscribed: Promise<void>
  /**
   * Set once it did: until then its subscribers are still opening, and learn of a failure
   * from their subscribe() call rather than through onLost.
   */
  acknowledged: boolean
  /** On a cluster: the master whose shard subscriber acknowledged it last. */
  node: string | undefined
  /** On a cluster: that shard's subscriber connection ended; restored at `subscribersReady`. */
  orphaned: boolean
}

export interface SharedSubscriberOptions {
  /** Connection errors and failed unsubscribes: reports, never thrown. */
  onConnectionError: (error: Error) => void
  /** How long a subscribe waits for the connection (and its acknowledgement) before failing. */
  subscribeTimeoutMs: number
}

// Retries of a subscribe that the connection refused (a shard subscriber being replaced): the
// next ready signal retries at once, these delays only when none comes.
const FIRST_RETRY_MS = 20
const MAX_RETRY_MS = 500

const toError = (value: unknown) => (value instanceof Error ? value : new Error(String(value)))

/**
 * One dedicated pub/sub connection per service, shared by every subscription in the process and
 * ref-counted per channel: the first listener subscribes, the last one unsubscribes. Each message
 * is parsed once, whatever the number of listeners.
 *
 * What Redis holds is reconciled with what listeners want after every reconnect: a channel left
 * while the connection was down is unsubscribed once it is back (ioredis re-subscribes it from
 * its own records), and every channel a reconnect touched (all of them on a standalone server,
 * those of the shard on a cluster) is subscribed again and acknowledged before its listeners
 * re-read history. No subscribe is sent before the connection is ready.
 */
export class SharedSubscriber {
  readonly #connection: Redis | Cluster
  readonly #sharded: boolean
  readonly #channels = new Map<string, ChannelEntry>()
  /** Channels whose unsubscribe Redis has not confirmed yet, with the latest attempt's token. */
  readonly #releasing = new Map<string, object>()
  /** Run on every ready signal and on close(); each removes itself once settled. */
  readonly #wakers = new Set<() => void>()
  readonly #options: SharedSubscriberOptions
  #hasBeenReady = false
  #ended = false
  #closed = false

  constructor(redis: Redis | Cluster, options: SharedSubscriberOptions) {
    this.#options = options
    this.#sharded = redis.isCluster
    // A duplicate: the caller's connection stays free for commands, and we close only our own.
    this.#connection = redis.isCluster
      ? (redis as Cluster).duplicate(undefined, { shardedSubscribers: true })
      : (redis as Redis).duplicate()
    const connection = this.#connection
    connection.on(this.#sharded ? 'smessage' : 'message', this.#onMessage)
    connection.on('ready', this.#onReady)
    connection.on('end', this.#onEnd)
    // ioredis retries the connection; its errors go to the service's owner, never nowhere.
    connection.on('error', options.onConnectionError)
    if (this.#sharded) {
      connection.on('-node', this.#onNodeLost)
      connection.on('subscribersReady', this.#onSubscribersReady)
    }
    // A caller's lazyConnect is inherited by duplicate(); this connection is needed right away.
    if (connection.status === 'wait') connection.connect().catch(options.onConnectionError)
  }

  /** Channels with at least one local listener. */
  get channelCount(): number {
    return this.#channels.size
  }

  /** Timers of subscribes waiting for the connection or for their acknowledgement. */
  get timerCount(): number {
    return this.#wakers.size
  }

  /**
   * Adds a listener; resolves once Redis has acknowledged the channel's subscription. Rejects
   * with ServiceClosedError when close() runs first, or after the subscribe timeout.
   */
  async add(channel: string, listener: ChannelListener): Promise<void> {
    if (this.#closed) throw new ServiceClosedError()
    let entry = this.#channels.get(channel)
    if (!entry) {
      const created: ChannelEntry = {
        listeners: new Set(),
        subscribed: Promise.resolve(),
        acknowledged: false,
        node: undefined,
        orphaned: false,
      }
      this.#channels.set(channel, created)
      this.#releasing.delete(channel)
      created.subscribed = this.#acknowledge(channel, created, false).then(
        () => {
          created.acknowledged = true
          created.node = this.#ownerOf(channel)
        },
        (error: unknown) => {
          if (this.#channels.get(channel) === created) this.#channels.delete(channel)
          // A subscribe still queued in ioredis may reach Redis later: take it back then.
          this.#releaseIfUnwanted(channel)
          throw error
        },
      )
      entry = created
    }
    entry.listeners.add(listener)
    await entry.subscribed
  }

  /** Removes a listener; the channel is unsubscribed in Redis when it was the last one. */
  remove(channel: string, listener: ChannelListener): void {
    const entry = this.#channels.get(channel)
    if (!entry?.listeners.delete(listener) || entry.listeners.size > 0) return
    this.#channels.delete(channel)
    if (!this.#closed) this.#release(channel)
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#wake()
    this.#channels.clear()
    this.#releasing.clear()
    const connection = this.#connection
    connection.off(this.#sharded ? 'smessage' : 'message', this.#onMessage)
    connection.off('ready', this.#onReady)
    connection.off('end', this.#onEnd)
    connection.off('-node', this.#onNodeLost)
    connection.off('subscribersReady', this.#onSubscribersReady)
    // Not QUIT: nothing is left to flush, and a QUIT written just as Redis went away would be
    // re-sent after a reconnect that may never come, so close() would never resolve.
    if (connection.status !== 'end') connection.disconnect()
    connection.off('error', this.#options.onConnectionError)
  }

  /**
   * SUBSCRIBE (SSUBSCRIBE on a cluster) once the connection is ready, retried while the
   * connection refuses it, until Redis acknowledges or the subscribe timeout passes.
   *
   * @param again - a restore after a reconnect: on a cluster the channel is unsubscribed first,
   *   which keeps ioredis' own channel list free of a duplicate per restore
   */
  async #acknowledge(channel: string, entry: ChannelEntry, again: boolean): Promise<void> {
    const timeoutMs = this.#options.subscribeTimeoutMs
    const deadline = Date.now() + timeoutMs
    let delay = FIRST_RETRY_MS
    let lastError: unknown
    for (;;) {
      if (this.#closed) throw new ServiceClosedError()
      // Its listeners left (and maybe new ones came, with an entry of their own): a subscribe
      // sent for it now could undo their unsubscribe, or cut the new entry's subscription.
      if (this.#channels.get(channel) !== entry) throw new Error('the subscription was left')
      if (this.#ended) throw new Error('the subscriber connection ended', { cause: lastError })
      const remaining = deadline - Date.now()
      if (remaining <= 0) {
        throw new Error(`no subscriber connection within ${timeoutMs} ms`, { cause: lastError })
      }
      if (this.#connection.status === 'ready') {
        try {
          await this.#settle(this.#subscribeCommand(channel, entry, again), remaining)
          return
        } catch (error) {
          if (this.#closed) throw new ServiceClosedError()
          lastError = error
        }
      }
      await this.#pause(Math.min(delay, deadline - Date.now()))
      delay = Math.min(delay * 2, MAX_RETRY_MS)
    }
  }

  #subscribeCommand(channel: string, entry: ChannelEntry, again: boolean): Promise<unknown> {
    if (!this.#sharded) return (this.#connection as Redis).subscribe(channel)
    const cluster = this.#connection as Cluster
    if (!again) return cluster.ssubscribe(channel)
    return cluster.sunsubscribe(channel).then(() => {
      if (this.#channels.get(channel) !== entry) throw new Error('the subscription was left')
      return cluster.ssubscribe(channel)
    })
  }

  /** Subscribes a channel again after a reconnect; its listeners then re-read history. */
  #restore(channel: string): void {
    const entry = this.#channels.get(channel)
    // One not yet acknowledged is still in its first subscribe, which retries by itself.
    if (!entry?.acknowledged) return
    entry.orphaned = false
    this.#acknowledge(channel, entry, true).then(
      () => {
        entry.node = this.#ownerOf(channel)
        if (this.#channels.get(channel) !== entry) {
          this.#releaseIfUnwanted(channel)
          return
        }
        for (const listener of [...entry.listeners]) listener.onReconnected()
      },
      (error: unknown) => {
        if (this.#closed) return
        if (this.#channels.get(channel) !== entry) {
          this.#releaseIfUnwanted(channel)
          return
        }
        const cause = toError(error)
        this.#options.onConnectionError(cause)
        if (this.#sharded && !this.#ended) {
          // A failover can outlast any timeout: try again once the shards are replaced.
          entry.orphaned = true
          return
        }
        // Waiting on could lose events unseen: the subscriptions end with the error instead.
        for (const listener of [...entry.listeners]) listener.onLost(cause)
      },
    )
  }

  /** After a late subscribe for a channel nobody wants any more: unsubscribe it again. */
  #releaseIfUnwanted(channel: string): void {
    if (!this.#closed && !this.#channels.has(channel)) this.#release(channel)
  }

  /** Unsubscribes now if the connection is ready, else after the next ready signal. */
  #release(channel: string): void {
    const token = {}
    this.#releasing.set(channel, token)
    if (this.#connection.status === 'ready') this.#sendRelease(channel, token)
  }

  #sendRelease(channel: string, token: object): void {
    const command = this.#sharded
      ? (this.#connection as Cluster).sunsubscribe(channel)
      : (this.#connection as Redis).unsubscribe(channel)
    command.then(
      () => {
        if (this.#releasing.get(channel) === token) this.#releasing.delete(channel)
      },
      // Kept in #releasing: sent again after the next reconnect.
      (error: unknown) => {
        if (!this.#closed) this.#options.onConnectionError(toError(error))
      },
    )
  }

  /** Settles with the command, or rejects when the time is up or close() runs. */
  #settle(command: Promise<unknown>, ms: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const finish = (error?: Error) => {
        clearTimeout(timer)
        this.#wakers.delete(onWake)
        if (error) reject(error)
        else resolve()
      }
      const onWake = () => {
        if (this.#closed) finish(new ServiceClosedError())
      }
      const timer = setTimeout(() => finish(new Error(`no acknowledgement within ${ms} ms`)), ms)
      this.#wakers.add(onWake)
      command.then(
        () => finish(),
        (error: unknown) => finish(toError(error)),
      )
    })
  }

  /** Resolves after `ms`, at the next ready signal, or at close(), whichever comes first. */
  #pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer)
        this.#wakers.delete(done)
        resolve()
      }
      const timer = setTimeout(done, Math.max(ms, 0))
      this.#wakers.add(done)
    })
  }

  #wake(): void {
    for (const waker of [...this.#wakers]) waker()
  }

  /** On a cluster, the master that owns the channel's slot now. */
  #ownerOf(channel: string): string | undefined {
    return this.#sharded ? (this.#connection as Cluster).slots[hashSlot(channel)]?.[0] : undefined
  }

  readonly #onMessage = (channel: string, message: string): void => {
    const entry = this.#channels.get(channel)
    if (!entry) return
    if (message === 'removed') {
      for (const listener of [...entry.listeners]) listener.onRemoved()
      return
    }
    if (message === 'restarted') {
      for (const listener of [...entry.listeners]) listener.onRestarted()
      return
    }
    let envelopes: EventEnvelope[]
    try {
      envelopes = JSON.parse(message) as EventEnvelope[]
      if (!Array.isArray(envelopes)) throw new TypeError('not an array of envelopes')
    } catch (error) {
      // Someone else published on our channel: report it, and let the stream carry on.
      this.#options.onConnectionError(
        new Error(`unreadable message on ${channel}`, { cause: error }),
      )
      return
    }
    // No copy per message: a listener leaving mid-loop is skipped, one joining holds and dedupes.
    for (const listener of entry.listeners) listener.onEnvelopes(envelopes)
  }

  /**
   * Standalone: every reconnect touches every channel. Cluster: `ready` again means the whole
   * cluster connection came back. ioredis re-sends its own subscriptions and queued commands
   * right after this event, in the same task; ours go after them (setImmediate), so an
   * unsubscribe is never undone by its own re-subscribe.
   */
  readonly #onReady = (): void => {
    const reconnected = this.#hasBeenReady
    this.#hasBeenReady = true
    setImmediate(() => {
      if (this.#closed) return
      this.#sendReleases()
      if (reconnected) for (const channel of [...this.#channels.keys()]) this.#restore(channel)
      this.#wake()
    })
  }

  /**
   * Cluster: the shard subscriber of `nodeKey` ended. Its channels are subscribed again once
   * ioredis has replaced the shard subscribers (`subscribersReady`), however long a failover
   * takes; the subscribe timeout counts from then.
   */
  readonly #onNodeLost = (_node: unknown, nodeKey?: string): void => {
    if (nodeKey === undefined) return
    for (const entry of this.#channels.values()) {
      if (entry.node === nodeKey) entry.orphaned = true
    }
  }

  /** Cluster: shard subscribers were replaced; orphaned and moved channels subscribe again. */
  readonly #onSubscribersReady = (): void => {
    setImmediate(() => {
      if (this.#closed) return
      this.#sendReleases()
      for (const [channel, entry] of this.#channels) {
        const moved = entry.node !== undefined && entry.node !== this.#ownerOf(channel)
        if (entry.orphaned || moved) this.#restore(channel)
      }
      this.#wake()
    })
  }

  /** The connection gave up reconnecting: nothing it held will be delivered again. */
  readonly #onEnd = (): void => {
    this.#ended = true
    this.#wake()
    if (this.#closed) return
    const error = new Error('the subscriber connection ended (ioredis stopped reconnecting)')
    for (const entry of [...this.#channels.values()]) {
      if (!entry.acknowledged) continue
      for (const listener of [...entry.listeners]) listener.onLost(error)
    }
  }

  #sendReleases(): void {
    for (const [channel, token] of this.#releasing) {
      if (this.#channels.has(channel)) this.#releasing.delete(channel)
      else this.#sendRelease(channel, token)
    }
  }
}
