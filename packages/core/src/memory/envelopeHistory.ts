import type { EventEnvelope } from '../events.js'

/**
 * The newest envelopes of one crawl, bounded by count (`capacity`) and by bytes (`maxBytes`), in
 * a fixed-size ring indexed by seq, so memory per crawl is bounded whatever the event rate.
 * Seqs are contiguous from 1: seq s lives at slot (s - 1) % capacity. The newest envelope is
 * always kept.
 */
export class EnvelopeHistory {
  readonly #capacity: number
  readonly #maxBytes: number
  readonly #slots: (EventEnvelope | undefined)[] = []
  readonly #sizes: number[] = []
  /** Per slot, the first seq of the call that made its envelope. */
  readonly #callStarts: number[] = []
  #oldestSeq = 1
  #newestSeq = 0
  #bytes = 0

  constructor(capacity: number, maxBytes: number) {
    this.#capacity = capacity
    this.#maxBytes = maxBytes
  }

  /**
   * Appends the next envelope; `bytes` is what it counts against `maxBytes`, `callStart` the
   * first seq of the call that made it.
   */
  push(envelope: EventEnvelope, bytes: number, callStart: number): void {
    if (this.#newestSeq - this.#oldestSeq + 1 === this.#capacity) this.#dropOldest()
    const index = (envelope.seq - 1) % this.#capacity
    this.#slots[index] = envelope
    this.#sizes[index] = bytes
    this.#callStarts[index] = callStart
    this.#bytes += bytes
    this.#newestSeq = envelope.seq
    while (this.#bytes > this.#maxBytes && this.#oldestSeq < this.#newestSeq) this.#dropOldest()
  }

  /** The most envelopes it holds. */
  get capacity(): number {
    return this.#capacity
  }

  /** The oldest seq still held; newest + 1 when empty. */
  get oldestSeq(): number {
    return this.#oldestSeq
  }

  /** The envelope at `seq`, if still held. */
  at(seq: number): EventEnvelope | undefined {
    if (seq < this.#oldestSeq || seq > this.#newestSeq) return undefined
    return this.#slots[(seq - 1) % this.#capacity]
  }

  /** The envelopes of the call whose last envelope is at `seq`, as far as they are held. */
  callEndingAt(seq: number): EventEnvelope[] | undefined {
    if (seq < this.#oldestSeq || seq > this.#newestSeq) return undefined
    return this.range(this.#callStarts[(seq - 1) % this.#capacity] as number, seq)
  }

  /** The held envelopes with seq above `seq`, oldest first. */
  after(seq: number): EventEnvelope[] {
    return this.range(seq + 1, this.#newestSeq)
  }

  /** The held envelopes from `first` to `last`, oldest first. */
  range(first: number, last: number): EventEnvelope[] {
    const result: EventEnvelope[] = []
    for (let s = Math.max(first, this.#oldestSeq); s <= Math.min(last, this.#newestSeq); s++) {
      result.push(this.#slots[(s - 1) % this.#capacity] as EventEnvelope)
    }
    return result
  }

  #dropOldest(): void {
    const index = (this.#oldestSeq - 1) % this.#capacity
    this.#bytes -= this.#sizes[index] as number
    this.#slots[index] = undefined
    this.#oldestSeq += 1
  }
}
