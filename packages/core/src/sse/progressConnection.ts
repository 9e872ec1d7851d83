import { type ProgressError, UnreadResponseError } from '../errors.js'
import type { ProgressEnvelope } from '../events.js'
import { isTerminalEnvelope } from '../events.js'
import type { ProgressService, ProgressSubscription } from '../service.js'
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

export interface ProgressConnectionHooks {
  encode: Encode
  /** Called once when the connection has released everything it held. */
  onClosed: (reason: ConnectionEnd) => void
  /** Problems after the response started: the subscription's end, an unsubscribe failure. */
  onError: (error: unknown) => void
  /** Counts the timers this connection holds, for leak diagnostics. */
  onTimers: (delta: number) => void
}

const PING = encodeComment('ping')

/**
 * One SSE connection: a pull-based ReadableStream fed by one subscription. Nothing is written
 * until the consumer asks (backpressure); between reads the outbound queue compacts. Each
 * connection owns its subscription and at most two timers, and releases them on every way out:
 * the terminal envelope, the consumer cancelling, an abort signal, overflow, a consumer that
 * stopped reading, or the end of the subscription. Whatever the reason, the stream ends at once,
 * so that a consumer waiting for its socket to drain learns it too.
 */
export class ProgressConnection {
  readonly stream: ReadableStream<Uint8Array>
  readonly #service: ProgressService
  readonly #crawlId: string
  readonly #tuning: Required<ProgressStreamTuning>
  readonly #hooks: ProgressConnectionHooks
  readonly #queue: OutboundQueue
  #controller: ReadableStreamDefaultController<Uint8Array> | undefined
  #subscription: ProgressSubscription | undefined
  #preamble: Uint8Array | undefined
  #heartbeat: ReturnType<typeof setInterval> | undefined
  #flushTimer: ReturnType<typeof setTimeout> | undefined
  /** Set once the last bytes are queued and nobody is reading: see #awaitLastRead. */
  #unreadTimer: ReturnType<typeof setTimeout> | undefined
  #wake: (() => void) | undefined
  #lastFlushAt = 0
  #lastWriteAt = Date.now()
  /** When the consumer last asked for bytes or got them; one that stops asking is not reading. */
  #lastReadAt = Date.now()
  /** A pull is in progress: the consumer is waiting for bytes. */
  #reading = false
  #everRead = false
  /** open() is delivering the subscription's replay: nobody can have read yet. */
  #opening = true
  #pingDue = false
  /** No more envelopes will come; write what is queued, then close. */
  #ending: ConnectionEnd | undefined
  #released = false
  /** Settles when open() has subscribed or failed; the first bytes wait for it. */
  #opened: Promise<void> | undefined
  /** Why the subscription ended abnormally, if it did. */
  #endError: ProgressError | undefined
  /** Why open() failed: a stream read before it settled errors with it. */
  #openError: unknown
  /** The stream was closed by us or cancelled by the consumer: no more close() calls. */
  #streamClosed = false
  readonly #signal: AbortSignal | undefined

  constructor(
    service: ProgressService,
    crawlId: string,
    options: { tuning: Required<ProgressStreamTuning>; signal?: AbortSignal | undefined },
    hooks: ProgressConnectionHooks,
  ) {
    this.#service = service
    this.#crawlId = crawlId
    this.#tuning = options.tuning
    this.#hooks = hooks
    this.#signal = options.signal
    this.#queue = new OutboundQueue(options.tuning.queueSoftLimitBytes, hooks.encode)
    this.#preamble = encodeRetry(options.tuning.retryMs)
    this.stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.#controller = controller
        },
        pull: (controller) => this.#pull(controller),
        cancel: () => {
          this.#streamClosed = true
          this.#release('cancelled')
        },
      },
      // Pull only when the consumer reads: the queue, not the stream, holds what is unsent.
      { highWaterMark: 0 },
    )
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
  open(position: StreamPosition | undefined): Promise<void> {
    this.#opened = this.#subscribe(position)
    return this.#opened
  }

  async #subscribe(position: StreamPosition | undefined): Promise<void> {
    this.#signal?.addEventListener('abort', this.#onAbort, { once: true })
    try {
      this.#subscription = await this.#service.subscribe(this.#crawlId, this.#onEnvelope, {
        ...(position ? { afterSeq: position.seq, epoch: position.epoch, tag: position.tag } : {}),
        onError: this.#onSubscriptionError,
      })
    } catch (error) {
      this.#openError = error
      this.#release('cancelled')
      throw error
    } finally {
      this.#opening = false
    }
    if (this.#endError) {
      // The subscription failed while opening (service closed, crawl removed, store failure).
      this.#openError = this.#endError
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
    if (this.#subscription.closed && !this.#ending) {
      this.#ending = 'subscription-ended'
      this.#wakeUp()
    }
    this.#heartbeat = setInterval(this.#onHeartbeat, this.#tuning.heartbeatMs)
    this.#hooks.onTimers(1)
    if (this.#ending) this.#awaitLastRead()
    if (this.#signal?.aborted) this.#release('cancelled')
  }

  readonly #onEnvelope = (envelope: ProgressEnvelope): void => {
    if (this.#ending || this.#released) return
    this.#queue.push(envelope, this.#hooks.encode(envelope))
    if (isTerminalEnvelope(envelope)) this.#ending = 'terminal'
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
    if (this.#ending) {
      this.#wakeUp()
      this.#awaitLastRead()
      return
    }
    // A pending flush deadline takes this envelope along: no timer work per envelope when busy.
    if (this.#flushTimer === undefined) this.#wakeUp()
  }

  readonly #onSubscriptionError = (error: ProgressError): void => {
    if (this.#ending || this.#released) return
    this.#ending = 'subscription-ended'
    this.#endError = error
    // During open() the error becomes open()'s rejection (a status code) instead. A crawl that
    // was cleaned up or expired is normal operation: its client reconnects and gets a 404.
    if (this.#subscription && error.code !== 'crawl-not-found') this.#hooks.onError(error)
    this.#wakeUp()
    this.#awaitLastRead()
  }

  readonly #onHeartbeat = (): void => {
    const now = Date.now()
    if (!this.#reading && now - this.#lastReadAt >= this.#tuning.unreadTimeoutMs) {
      // Nobody asked for a byte (not even a ping) for that long: the response is not read.
      this.#release('unread')
      return
    }
    if (now - this.#lastWriteAt < this.#tuning.heartbeatMs / 2) return
    this.#pingDue = true
    this.#wakeUp()
  }

  readonly #onAbort = (): void => {
    this.#release('cancelled')
  }

  /**
   * The last bytes are queued: unless the consumer takes them within unreadTimeoutMs, nobody is
   * reading (a framework dropped the Response unread) and the connection is released.
   */
  #awaitLastRead(): void {
    if (this.#reading || this.#released || this.#opening || this.#unreadTimer !== undefined) return
    this.#unreadTimer = setTimeout(() => {
      this.#unreadTimer = undefined
      this.#hooks.onTimers(-1)
      this.#release('unread')
    }, this.#tuning.unreadTimeoutMs)
    this.#hooks.onTimers(1)
  }

  #clearUnreadTimer(): void {
    if (this.#unreadTimer === undefined) return
    clearTimeout(this.#unreadTimer)
    this.#unreadTimer = undefined
    this.#hooks.onTimers(-1)
  }

  /** One read of the consumer: the next chunk, once there is one. */
  async #pull(controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    // #lastReadAt is set when the read ends: while one is in progress, #reading says enough.
    this.#reading = true
    this.#everRead = true
    this.#clearUnreadTimer()
    try {
      if (this.#preamble) {
        // The first bytes wait for open(): if it failed, the stream is errored by now, before
        // `retry:` went out.
        await this.#opened?.catch(() => undefined)
        if (this.#released) return
        controller.enqueue(this.#preamble)
        this.#preamble = undefined
        this.#lastWriteAt = Date.now()
        return
      }
      for (;;) {
        if (this.#released) return
        const now = Date.now()
        if (!this.#queue.isEmpty) {
          const due = this.#lastFlushAt + this.#tuning.maxLatencyMs
          if (now >= due || this.#ending) {
            controller.enqueue(this.#queue.take())
            this.#lastFlushAt = now
            this.#lastWriteAt = now
            if (this.#ending) this.#release(this.#ending)
            return
          }
          await this.#sleep(due - now)
          continue
        }
        if (this.#ending) {
          this.#release(this.#ending)
          return
        }
        if (this.#pingDue) {
          this.#pingDue = false
          controller.enqueue(PING)
          this.#lastWriteAt = now
          return
        }
        await this.#sleep(undefined)
      }
    } finally {
      this.#reading = false
      // The wait for the next read starts now, not when this one began (it may have slept).
      this.#lastReadAt = Date.now()
      // The last bytes are queued and this read did not take them (it took `retry:`).
      if (this.#ending) this.#awaitLastRead()
    }
  }

  /** Waits for an envelope, a heartbeat, the end, or `ms` (the flush deadline). */
  #sleep(ms: number | undefined): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = resolve
      if (ms !== undefined) {
        this.#flushTimer = setTimeout(() => this.#wakeUp(), ms)
        this.#hooks.onTimers(1)
      }
    })
  }

  #wakeUp(): void {
    if (this.#flushTimer !== undefined) {
      clearTimeout(this.#flushTimer)
      this.#flushTimer = undefined
      this.#hooks.onTimers(-1)
    }
    const wake = this.#wake
    this.#wake = undefined
    wake?.()
  }

  #release(reason: ConnectionEnd): void {
    if (this.#released) return
    this.#released = true
    this.#queue.clear()
    this.#clearUnreadTimer()
    if (this.#heartbeat !== undefined) {
      clearInterval(this.#heartbeat)
      this.#heartbeat = undefined
      this.#hooks.onTimers(-1)
    }
    this.#wakeUp()
    this.#signal?.removeEventListener('abort', this.#onAbort)
    this.#endStream(reason)
    void this.#unsubscribe()
    this.#hooks.onClosed(reason)
  }

  /**
   * Ends the stream now, not at the next read: a consumer that is not reading is never asked
   * again. A failed open errors it (the reader sees why); an unread response errors it, so the
   * runtime destroys the socket instead of waiting for it to drain; anything else closes it.
   */
  #endStream(reason: ConnectionEnd): void {
    const controller = this.#controller
    if (this.#streamClosed || !controller) return
    this.#streamClosed = true
    if (this.#openError !== undefined) controller.error(this.#openError)
    else if (reason === 'unread') controller.error(new UnreadResponseError())
    else controller.close()
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
