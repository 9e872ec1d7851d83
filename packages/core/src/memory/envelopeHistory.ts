import type { EventEnvelope } from '../events.js'

/**
 * The last `capacity` envelopes of one crawl, in a fixed-size ring indexed by seq, so memory per
 * crawl is bounded whatever the event rate. Seqs are contiguous from 1: seq s lives at slot
 * (s - 1) % capacity.
 */
export class EnvelopeHistory {
  readonly #capacity: number
  readonly #slots: EventEnvelope[] = []
  #newestSeq = 0

  constructor(capacity: number) {
    this.#capacity = capacity
  }

  push(envelope: EventEnvelope): void {
    const index = (envelope.seq - 1) % this.#capacity
    if (index === this.#slots.length) this.#slots.push(envelope)
    else this.#slots[index] = envelope
    this.#newestSeq = envelope.seq
  }

  /** The oldest seq still held; newest + 1 when empty. */
  get oldestSeq(): number {
    return this.#newestSeq - this.#slots.length + 1
  }

  /** The held envelopes with seq above `seq`, oldest first. */
  after(seq: number): EventEnvelope[] {
    const result: EventEnvelope[] = []
    for (let s = Math.max(seq + 1, this.oldestSeq); s <= this.#newestSeq; s++) {
      result.push(this.#slots[(s - 1) % this.#capacity] as EventEnvelope)
    }
    return result
  }
}
