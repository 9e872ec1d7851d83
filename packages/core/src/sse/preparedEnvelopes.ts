import type { ProgressEnvelope } from '../events.js'
import type { PreparedEnvelope } from './progressConnection.js'
import { encodeEnvelope } from './sseEncoding.js'

/** Enough for the largest batch (1,000 inputs) to reach every listener from the cache. */
const DEFAULT_CAPACITY = 1_024

/**
 * Each envelope encoded once per server and shared by every connection that writes it, with the
 * time it arrived. Bounded: an envelope that lives on (in the memory backend's history) does not
 * keep its bytes alive here too; one replayed after it left the cache is encoded again.
 */
export class PreparedEnvelopes {
  readonly #entries = new Map<ProgressEnvelope, PreparedEnvelope>()
  readonly #capacity: number
  // A fan-out hands the same envelope to each connection in turn: answered without a lookup.
  #lastEnvelope: ProgressEnvelope | undefined
  #lastPrepared: PreparedEnvelope | undefined

  constructor(capacity = DEFAULT_CAPACITY) {
    this.#capacity = capacity
  }

  /** How many envelopes are held, for tests. */
  get size(): number {
    return this.#entries.size
  }

  readonly prepare = (envelope: ProgressEnvelope): PreparedEnvelope => {
    if (envelope === this.#lastEnvelope) return this.#lastPrepared as PreparedEnvelope
    let prepared = this.#entries.get(envelope)
    if (!prepared) {
      prepared = { bytes: encodeEnvelope(envelope), at: Date.now() }
      this.#entries.set(envelope, prepared)
      if (this.#entries.size > this.#capacity) {
        // The oldest first: a Map iterates in insertion order.
        const oldest = this.#entries.keys().next().value as ProgressEnvelope
        this.#entries.delete(oldest)
      }
    }
    this.#lastEnvelope = envelope
    this.#lastPrepared = prepared
    return prepared
  }

  /** The bytes alone, for envelopes that compaction merged. */
  readonly encode = (envelope: ProgressEnvelope): Uint8Array => this.prepare(envelope).bytes
}
