import { type ProgressError, UnreadResponseError } from '../errors.js'
import type { ProgressEnvelope } from '../events.js'
import { isTerminalEnvelope } from '../events.js'
import type { ProgressService, ProgressSubscription } from '../service.js'
import type { ConnectionOutput } from './connectionOutput.js'
import { type Encode, OutboundQueue } from './outboundQueue.js'
import { encodeComment, encodeRetry, type StreamPosition } from './sseEncoding.js'

/** Tuning of one SSE connection; every field has a safe default. */
export interface ProgressStreamTuning {
  /** Interval of `: ping` comments on a quiet stream. Default 15,000 ms. */
  heartbeatMs?: number
  /** The `retry:` sent first: how long a compliant EventSource waits to reconnect. Default 2,000. */
  retryMs?: number
  /** A busy stream writes at most this often; an idle one writes each envelope at once. Default 50. */
  maxLatencyMs?: number
  /** Queued bytes past which progress coalesces and discovery merges. Default 64 KiB. */
  queueSoftLimitBytes?: number
  /**
   * Queued bytes past which the connection ends and the client resumes; a backlog this large
   * before the first write (a long replay) becomes one `resync` snapshot instead. Default 4 MiB.
   */
  queueHardLimitBytes?: number
  /**
   * How long a response may go unread while it has something to send (its terminal envelope, a
   * heartbeat) before the connection is released: a framework that drops a Response without
   * cancelling its body, or a client that stopped reading. Default 10,000.
   */
  unreadTimeoutMs?: number
}

export const DEFAULT_STREAM_TUNING: Readonly<Required<ProgressStreamTuning>> = {
  heartbeatMs: 15_000,
  retryMs: 2_000,
  maxLatencyMs: 50,
  queueSoftLimitBytes: 64 * 1024,
  // Above the largest single envelope (1,000 urls of 2,048 characters ≈ 2 MB).
  queueHardLimitBytes: 4 * 1024 * 1024,
  unreadTimeoutMs: 10_000,
}

/** The tuning with every default filled in. */
export function resolveStreamTuning(options: ProgressStreamTuning): Required<ProgressStreamTuning> {
  const tuning: Required<ProgressStreamTuning> = { ...DEFAULT_STREAM_TUNING }
  for (const key of Object.keys(DEFAULT_STREAM_TUNING) as (keyof ProgressStreamTuning)[]) {
    const value = options[key]
    if (value === undefined) continue
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(
        `@docspasta/progress-core: ${key} must be a positive integer, got ${value}`,
      )
    }
    tuning[key] = value
  }
  return tuning
}

/** Why a connection ended. */
export type ConnectionEnd = 'terminal' | 'cancelled' | 'overflow' | 'unread' | 'subscription-ended'

/** An envelope ready to send: its bytes, and when the server first had it. */
export interface PreparedEnvelope {
  readonly bytes: Uint8Array
  /** The same for every connection: a fan-out's own duration never counts as the stream's pace. */
  readonly at: number
}

/** What a connection reports to its server; one object shared by every connection of a server. */
export interface ProgressConnectionHooks {
  /** Encodes an envelope merged by compaction. */
  encode: Encode
  /** Each envelope as it arrives, once per server. */
  prepare: (envelope: ProgressEnvelope) => PreparedEnvelope
  /** Called once when the connection has released everything it held. */
  onClosed: (connection: ProgressConnection, reason: ConnectionEnd) => void
  /** Problems after the response started: the subscription's end, an unsubscribe failure. */
  onError: (error: unknown) => void
  /** Counts the timers this connection holds, for leak diagnostics. */
  onTimers: (delta: number) => void
}

const PING = encodeComment('ping')

/** The `retry:` a connection sends first: the same bytes for every connection of a tuning. */
export function streamPreamble(tuning: Required<ProgressStreamTuning>): Uint8Array {
  return encodeRetry(tuning.retryMs)
}

/**
 * One SSE connection fed by one subscription, written to an output (a Node socket, a Web
 * stream) that it attaches once open() succeeded. Delivery is push: an envelope that finds the
 * output ready and the last write older than maxLatencyMs goes out at once, as the bytes every
 * connection shares, with no queue, timer or promise on the way. Otherwise it waits in the
 * outbound queue (which compacts) for the flush deadline or for the output to be ready again
 * (backpressure). Each connection owns its subscription and at most three timers, and releases
 * them on every way out: the terminal envelope, the consumer leaving, an abort signal, overflow,
 * a consumer that stopped reading, or the end of the subscription; whatever the reason, the
 * output ends at once, so a consumer waiting for its socket to drain learns it too.
 */
export class ProgressConnection {
  readonly #service: ProgressService
  readonly #crawlId: string
  readonly #tuning: Required<ProgressStreamTuning>
  readonly #hooks: ProgressConnectionHooks
  readonly #queue: OutboundQueue
  #output: ConnectionOutput | undefined
  /** The output takes bytes now: a socket that has not asked to drain, a pending read. */
  #writable = false
  #subscription: ProgressSubscription | undefined
  #preamble: Uint8Array | undefined
  #heartbeatTimer: ReturnType<typeof setInterval> | undefined
  #flushTimer: ReturnType<typeof setTimeout> | undefined
  /** Set once the last bytes are queued and the output is not ready: see #awaitLastRead. */
  #unreadTimer: ReturnType<typeof setTimeout> | undefined
  #lastFlushAt = 0
  #lastWriteAt = Date.now()
  /** When the output last stopped taking bytes; one that stays so is not read. */
  #lastReadAt = Date.now()
  #everRead = false
  /** open() is delivering the subscription's replay: nobody can have read yet. */
  #opening = true
  #pingDue = false
  /** No more envelopes will come; write what is queued, then end. */
  #ending: ConnectionEnd | undefined
  #released = false
  /** Why the subscription ended abnormally, if it did. */
  #endError: ProgressError | undefined
  #signal: AbortSignal | undefined
  #onAbort: (() => void) | undefined

  constructor(
    service: ProgressService,
    crawlId: string,
    options: {
      tuning: Required<ProgressStreamTuning>
      /** From streamPreamble(tuning), shared. */
      preamble: Uint8Array
      signal?: AbortSignal | undefined
    },
    hooks: ProgressConnectionHooks,
  ) {
    this.#service = service
    this.#crawlId = crawlId
    this.#tuning = options.tuning
    this.#hooks = hooks
    this.#signal = options.signal
    this.#queue = new OutboundQueue(options.tuning.queueSoftLimitBytes, hooks.encode)
    this.#preamble = options.preamble
  }

  // Timer callbacks take the connection as an argument: no closure per connection.
  static #onHeartbeat(connection: ProgressConnection): void {
    connection.#heartbeat()
  }

  static #onFlushDeadline(connection: ProgressConnection): void {
    connection.#flushTimer = undefined
    connection.#hooks.onTimers(-1)
    connection.#flush()
  }

  static #onUnreadDeadline(connection: ProgressConnection): void {
    connection.#unreadTimer = undefined
    connection.#hooks.onTimers(-1)
    connection.#release('unread')
  }

  /**
   * True when open() found nothing to send: the subscriber already held the terminal envelope.
   * A server answers 204 then, which also stops a browser's EventSource from reconnecting.
   */
  get isExhausted(): boolean {
    return (
      this.#ending === 'subscription-ended' &&
      this.#endError === undefined &&
      this.#queue.isEmpty &&
      !this.#released
    )
  }

  /** Bytes waiting for the consumer. */
  get queuedBytes(): number {
    return this.#queue.bytes
  }

  /** Ends the connection: the consumer sees the end of the stream and may resume elsewhere. */
  close(): void {
    this.#release('cancelled')
  }

  /** Subscribes from the resume position; rejects (CrawlNotFoundError, …) before any byte. */
  async open(position: StreamPosition | undefined): Promise<void> {
    if (this.#signal) {
      this.#onAbort = () => this.#release('cancelled')
      this.#signal.addEventListener('abort', this.#onAbort, { once: true })
    }
    try {
      this.#subscription = await this.#service.subscribe(this.#crawlId, this.#onEnvelope, {
        ...(position ? { afterSeq: position.seq, epoch: position.epoch, tag: position.tag } : {}),
        onError: this.#onSubscriptionError,
      })
    } catch (error) {
      this.#release('cancelled')
      throw error
    } finally {
      this.#opening = false
    }
    if (this.#endError) {
      // The subscription failed while opening (service closed, crawl removed, store failure).
      this.#release('subscription-ended')
      throw this.#endError
    }
    if (this.#released) {
      await this.#unsubscribe()
      return
    }
    // From here the consumer has its own time to start reading.
    this.#lastReadAt = Date.now()
    // A subscriber that already held the terminal envelope gets nothing more: end at once.
    if (this.#subscription.closed && !this.#ending) this.#ending = 'subscription-ended'
    this.#heartbeatTimer = setInterval(
      ProgressConnection.#onHeartbeat,
      this.#tuning.heartbeatMs,
      this,
    )
    this.#hooks.onTimers(1)
    if (this.#ending) this.#awaitLastRead()
    if (this.#signal?.aborted) this.#release('cancelled')
  }

  /**
   * Gives the connection its output, once open() resolved; `writable` when it takes bytes at
   * once (a socket), not when it waits to be asked (a stream's reader calls resume()).
   */
  attach(output: ConnectionOutput, options: { writable: boolean }): void {
    if (this.#released) {
      output.end()
      return
    }
    this.#output = output
    if (output.reportsClose) {
      // The output says when its consumer leaves: the abort signal has nothing more to tell.
      this.#forgetSignal()
    }
    if (options.writable) this.resume()
  }

  /** The output takes bytes again: its socket drained, or its reader asked for the next chunk. */
  resume(): void {
    if (this.#released) return
    this.#writable = true
    this.#everRead = true
    this.#clearUnreadTimer()
    this.#flush()
  }

  readonly #onEnvelope = (envelope: ProgressEnvelope): void => {
    if (this.#ending || this.#released) return
    const { bytes, at } = this.#hooks.prepare(envelope)
    const terminal = isTerminalEnvelope(envelope)
    if (
      this.#writable &&
      this.#queue.isEmpty &&
      this.#flushTimer === undefined &&
      at >= this.#lastFlushAt + this.#tuning.maxLatencyMs
    ) {
      // The fast path: an idle, ready output takes the shared bytes as they are. Its pace is
      // the envelopes' arrival: one written late in a long fan-out does not hold the next back.
      this.#lastFlushAt = at
      this.#send(bytes, at)
      if (terminal) this.#release('terminal')
      return
    }
    this.#queue.push(envelope, bytes)
    if (terminal) this.#ending = 'terminal'
    else if (this.#queue.bytes > this.#tuning.queueHardLimitBytes) {
      if (this.#opening || (this.#everRead && this.#lastFlushAt === 0)) {
        // A replay too large to send: ending would make the client ask for it again, forever.
        this.#queue.collapseToSnapshot()
      } else {
        // Too far behind, or nobody reads at all: let go of everything now. A client resumes
        // with its Last-Event-ID and replays from history.
        this.#release(this.#everRead ? 'overflow' : 'unread')
        return
      }
    }
    // A pending flush deadline takes this envelope along: no timer work per envelope when busy.
    if (this.#ending || this.#flushTimer === undefined) this.#flush()
    if (this.#ending) this.#awaitLastRead()
  }

  readonly #onSubscriptionError = (error: ProgressError): void => {
    if (this.#ending || this.#released) return
    this.#ending = 'subscription-ended'
    this.#endError = error
    // During open() the error becomes open()'s rejection (a status code) instead. A crawl that
    // was cleaned up or expired is normal operation: its client reconnects and gets a 404.
    if (this.#subscription && error.code !== 'crawl-not-found') this.#hooks.onError(error)
    this.#flush()
    this.#awaitLastRead()
  }

  #heartbeat(): void {
    const now = Date.now()
    if (!this.#writable && now - this.#lastReadAt >= this.#tuning.unreadTimeoutMs) {
      // The output took nothing (not even a ping) for that long: the response is not read.
      this.#release('unread')
      return
    }
    if (now - this.#lastWriteAt < this.#tuning.heartbeatMs / 2) return
    this.#pingDue = true
    this.#flush()
  }

  /** Writes what is due while the output takes it: `retry:`, the queue, the end, a ping. */
  #flush(): void {
    const output = this.#output
    if (!output || !this.#writable || this.#released) return
    const now = Date.now()
    if (this.#preamble) {
      const preamble = this.#preamble
      this.#preamble = undefined
      if (!this.#send(preamble, now)) return
    }
    if (!this.#queue.isEmpty) {
      const due = this.#lastFlushAt + this.#tuning.maxLatencyMs
      if (now < due && !this.#ending) {
        this.#armFlushDeadline(due - now)
        return
      }
      this.#lastFlushAt = now
      this.#lastWriteAt = now
      const writable = output.writeQueued(this.#queue)
      if (this.#ending) {
        this.#release(this.#ending)
        return
      }
      if (!this.#blockedUnless(writable, now)) return
    }
    if (this.#ending) {
      if (this.#queue.isEmpty) this.#release(this.#ending)
      return
    }
    if (this.#pingDue) {
      this.#pingDue = false
      this.#send(PING, now)
    }
  }

  /** One shared chunk to the output; false when the output must be waited for. */
  #send(chunk: Uint8Array, now: number): boolean {
    this.#lastWriteAt = now
    return this.#blockedUnless((this.#output as ConnectionOutput).write(chunk), now)
  }

  /** After a write: when the output is full, the wait for it to be read starts now. */
  #blockedUnless(writable: boolean, now: number): boolean {
    if (writable) return true
    this.#writable = false
    this.#lastReadAt = now
    // The last bytes are queued and this write did not take them (it took `retry:`).
    if (this.#ending) this.#awaitLastRead()
    return false
  }

  #armFlushDeadline(ms: number): void {
    if (this.#flushTimer !== undefined) return
    this.#flushTimer = setTimeout(ProgressConnection.#onFlushDeadline, ms, this)
    this.#hooks.onTimers(1)
  }

  /**
   * The last bytes are queued: unless the output takes them within unreadTimeoutMs, nobody is
   * reading (a framework dropped the Response unread, a client stopped) and the connection is
   * released.
   */
  #awaitLastRead(): void {
    if (this.#writable || this.#released || this.#opening || this.#unreadTimer !== undefined) {
      return
    }
    this.#unreadTimer = setTimeout(
      ProgressConnection.#onUnreadDeadline,
      this.#tuning.unreadTimeoutMs,
      this,
    )
    this.#hooks.onTimers(1)
  }

  #clearUnreadTimer(): void {
    if (this.#unreadTimer === undefined) return
    clearTimeout(this.#unreadTimer)
    this.#unreadTimer = undefined
    this.#hooks.onTimers(-1)
  }

  #release(reason: ConnectionEnd): void {
    if (this.#released) return
    this.#released = true
    this.#writable = false
    this.#queue.clear()
    this.#clearUnreadTimer()
    if (this.#flushTimer !== undefined) {
      clearTimeout(this.#flushTimer)
      this.#flushTimer = undefined
      this.#hooks.onTimers(-1)
    }
    if (this.#heartbeatTimer !== undefined) {
      clearInterval(this.#heartbeatTimer)
      this.#heartbeatTimer = undefined
      this.#hooks.onTimers(-1)
    }
    this.#forgetSignal()
    // Ends the output now, not at its next read: an unread one is never asked again, and
    // aborting it lets the runtime drop the socket instead of waiting for it to drain.
    const output = this.#output
    this.#output = undefined
    if (reason === 'unread') output?.abort(new UnreadResponseError())
    else output?.end()
    void this.#unsubscribe()
    this.#hooks.onClosed(this, reason)
  }

  #forgetSignal(): void {
    if (this.#onAbort) this.#signal?.removeEventListener('abort', this.#onAbort)
    this.#signal = undefined
    this.#onAbort = undefined
  }

  async #unsubscribe(): Promise<void> {
    const subscription = this.#subscription
    this.#subscription = undefined
    if (!subscription || subscription.closed) return
    try {
      await subscription.unsubscribe()
    } catch (error) {
      this.#hooks.onError(error)
    }
  }
}
