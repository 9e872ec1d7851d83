import type { ProgressEnvelope } from '@docspasta/progress-protocol'

/** What to do with an arriving envelope. */
export type GateDecision = 'deliver' | 'drop' | 'gap'

/**
 * Exactly-once, in-order delivery on the client: within one epoch an envelope at or below the
 * last seen seq is a duplicate; one that skips ahead is a gap (unless the server marked it as
 * coalesced); a new epoch starts over from its snapshot, and is a gap without one. Before any
 * position (no lastEventId, nothing delivered yet) the first envelope is taken as it comes.
 */
export class EnvelopeGate {
  #epoch: string | undefined
  #seq = -1
  #tag: string | undefined

  constructor(lastEventId?: string) {
    const match = lastEventId ? /^([a-z0-9]+):(\d+)(?::([a-z0-9]+))?$/.exec(lastEventId) : null
    if (match) {
      this.#epoch = match[1]
      this.#seq = Number(match[2])
      this.#tag = match[3]
    }
  }

  /**
   * The position to resume from, once there is one: `<epoch>:<seq>:<tag>` (`<epoch>:<seq>` for
   * an envelope without a tag), the id of the last envelope delivered.
   */
  get lastEventId(): string | undefined {
    if (this.#epoch === undefined) return undefined
    return this.#tag ? `${this.#epoch}:${this.#seq}:${this.#tag}` : `${this.#epoch}:${this.#seq}`
  }

  decide(envelope: ProgressEnvelope): GateDecision {
    if (envelope.type === 'snapshot' && envelope.resync === true) {
      // The server's word on where this client stands (even behind what it has seen, after a
      // store lost writes): start over from it.
      this.#accept(envelope)
      return 'deliver'
    }
    const sameEpoch = envelope.epoch === this.#epoch
    if (
      sameEpoch &&
      envelope.seq <= this.#seq &&
      (envelope.type !== 'snapshot' || envelope.seq < this.#seq)
    ) {
      return 'drop'
    }
    const contiguous = envelope.seq === this.#seq + 1 || envelope.type === 'snapshot'
    const coalesced = 'coalesced' in envelope && envelope.coalesced === true
    if (sameEpoch && !contiguous && !coalesced) return 'gap'
    if (!sameEpoch && envelope.type !== 'snapshot' && this.#epoch !== undefined) {
      // [protocol rule 5] Another epoch without its snapshot, even at seq 1: the server always
      // sends an epoch change as a snapshot, so asking again gets one (a resync snapshot).
      return 'gap'
    }
    this.#accept(envelope)
    return 'deliver'
  }

  #accept(envelope: ProgressEnvelope): void {
    this.#epoch = envelope.epoch
    this.#seq = envelope.seq
    this.#tag = envelope.tag
  }
}
