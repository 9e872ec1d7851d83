import { ProgressError } from '../errors.js'
import { isTerminalEnvelope, type ProgressEnvelope } from '../events.js'
import type { EnvelopeHandler } from '../service.js'

/** What offer() did with an envelope. */
export type DeliveryOutcome = 'delivered' | 'duplicate' | 'gap' | 'closed'

export interface OrderedDeliveryOptions {
  handler: EnvelopeHandler
  onError?: ((error: ProgressError) => void) | undefined
  /** Called once when delivery ends for any reason, so the owner can release its entry. */
  onClosed: () => void
}

/**
 * Hands one subscriber its envelopes exactly once and in seq order. Envelopes at or below the
 * last delivered seq are dropped; one that skips ahead is refused as a `gap` so the backend can
 * fill the hole from history first. Delivery is queued, so a handler that publishes (and so
 * re-enters) cannot reorder what this or any other subscriber sees.
 */
export class OrderedDelivery {
  #lastSeq: number
  #lastTag: string | undefined
  #closed = false
  /** Accepted, not yet handed over: read from #head on, so nothing shifts. */
  readonly #queue: ProgressEnvelope[] = []
  #head = 0
  #draining = false
  /** offerAll() is accepting a run: hand nothing to the handler until it is all queued. */
  #holding = false
  readonly #options: OrderedDeliveryOptions

  constructor(options: OrderedDeliveryOptions, lastSeq = -1) {
    this.#options = options
    this.#lastSeq = lastSeq
  }

  /** The seq of the last envelope accepted for delivery (-1 before the first). */
  get lastSeq(): number {
    return this.#lastSeq
  }

  /** The tag of the event at lastSeq, when known: with it a re-read can check its identity. */
  get lastTag(): string | undefined {
    return this.#lastTag
  }

  get closed(): boolean {
    return this.#closed
  }

  /**
   * Accepts the next envelope. A snapshot sets the position to its seq; any other envelope must
   * be exactly the next seq.
   */
  offer(envelope: ProgressEnvelope): DeliveryOutcome {
    if (this.#closed) return 'closed'
    if (envelope.type !== 'snapshot') {
      if (envelope.seq <= this.#lastSeq) return 'duplicate'
      if (this.#lastSeq >= 0 && envelope.seq !== this.#lastSeq + 1) return 'gap'
    }
    this.#lastSeq = envelope.seq
    this.#lastTag = envelope.tag
    if (this.#draining || this.#holding || this.#head < this.#queue.length) {
      this.#queue.push(envelope)
      this.#drain()
      return 'delivered'
    }
    // Nothing waits ahead of it: hand it over now, without queueing it.
    this.#draining = true
    try {
      if (this.#deliver(envelope)) this.#drainQueued()
    } finally {
      this.#draining = false
    }
    return 'delivered'
  }

  /**
   * Places the position before the first delivery: a replay that starts after `seq`. Once
   * anything was delivered the position only moves by delivery.
   */
  seek(seq: number, tag: string | undefined): void {
    if (this.#lastSeq >= 0) return
    this.#lastSeq = seq
    this.#lastTag = tag
  }

  /**
   * Accepts a run of envelopes (a replay) before the handler sees the first, so an envelope
   * published by the handler meanwhile queues behind the run instead of looking like a gap.
   */
  offerAll(envelopes: readonly ProgressEnvelope[]): void {
    this.#holding = true
    try {
      for (const envelope of envelopes) this.offer(envelope)
    } finally {
      this.#holding = false
    }
    this.#drain()
  }

  /** Ends delivery with an error, reported once through onError. */
  fail(error: ProgressError): void {
    if (this.#closed) return
    this.#close()
    this.#report(error)
  }

  /** Ends delivery quietly; nothing queued reaches the handler afterwards. */
  close(): void {
    if (this.#closed) return
    this.#close()
  }

  #close(): void {
    this.#closed = true
    this.#queue.length = 0
    this.#head = 0
    this.#options.onClosed()
  }

  #drain(): void {
    if (this.#draining || this.#holding) return
    this.#draining = true
    try {
      this.#drainQueued()
    } finally {
      this.#draining = false
    }
  }

  /** Hands over what is queued, in order, including what the handler queues meanwhile. */
  #drainQueued(): void {
    while (!this.#closed && this.#head < this.#queue.length) {
      const envelope = this.#queue[this.#head] as ProgressEnvelope
      this.#head += 1
      if (this.#head === this.#queue.length) {
        this.#queue.length = 0
        this.#head = 0
      }
      if (!this.#deliver(envelope)) return
    }
  }

  /** One envelope to the handler; false when delivery ended (a throw, the terminal). */
  #deliver(envelope: ProgressEnvelope): boolean {
    try {
      this.#options.handler(envelope)
    } catch (cause) {
      const message = '@docspasta/progress-core: a subscription handler threw; it was unsubscribed'
      this.fail(new ProgressError('handler-failed', message, { cause }))
      return false
    }
    if (isTerminalEnvelope(envelope)) this.close()
    return !this.#closed
  }

  #report(error: ProgressError): void {
    const { onError } = this.#options
    if (onError) {
      try {
        onError(error)
      } catch (thrown) {
        // The owner's callback failed; the cleanup loop that called us must still finish.
        queueMicrotask(() => {
          throw thrown
        })
      }
      return
    }
    // The crawl or the service ending is the owner's own doing; failures are never swallowed:
    // without onError they surface as an uncaught exception.
    if (error.code === 'crawl-not-found' || error.code === 'service-closed') return
    queueMicrotask(() => {
      throw error
    })
  }
}
