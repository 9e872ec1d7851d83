import {
  type DiscoveryEnvelope,
  isTerminalEnvelope,
  type ProgressDelta,
  type ProgressEnvelope,
  type ProgressEventEnvelope,
} from '../events.js'

interface QueuedEnvelope {
  envelope: ProgressEnvelope
  bytes: Uint8Array
}

export type Encode = (envelope: ProgressEnvelope) => Uint8Array

/**
 * What one connection has yet to write. Past `softLimitBytes` it compacts: queued progress
 * envelopes coalesce into the newest (totals are absolute, so nothing is lost), discovery
 * envelopes merge their urls, snapshots and the terminal envelope stay as they are. The merged
 * envelopes carry `coalesced: true` so a client does not take the seq step for a gap.
 */
export class OutboundQueue {
  #items: QueuedEnvelope[] = []
  #bytes = 0
  readonly #softLimitBytes: number
  readonly #encode: Encode
  /** Compacting again only after the queue doubled keeps the work per envelope constant. */
  #compactAt: number

  constructor(softLimitBytes: number, encode: Encode) {
    this.#softLimitBytes = softLimitBytes
    this.#compactAt = softLimitBytes
    this.#encode = encode
  }

  get bytes(): number {
    return this.#bytes
  }

  get isEmpty(): boolean {
    return this.#items.length === 0
  }

  get hasTerminal(): boolean {
    return this.#items.some((item) => isTerminalEnvelope(item.envelope))
  }

  push(envelope: ProgressEnvelope, bytes: Uint8Array): void {
    this.#items.push({ envelope, bytes })
    this.#bytes += bytes.byteLength
    if (this.#bytes > this.#compactAt) this.#compact()
  }

  /** Everything queued, as one chunk, and empties the queue. */
  take(): Uint8Array {
    const chunk = new Uint8Array(this.#bytes)
    let offset = 0
    for (const { bytes } of this.#items) {
      chunk.set(bytes, offset)
      offset += bytes.byteLength
    }
    this.clear()
    return chunk
  }

  clear(): void {
    this.#items = []
    this.#bytes = 0
    this.#compactAt = this.#softLimitBytes
  }

  #compact(): void {
    const compacted: QueuedEnvelope[] = []
    let run: QueuedEnvelope[] = []
    const flushRun = () => {
      compacted.push(...this.#mergeRun(run))
      run = []
    }
    for (const item of this.#items) {
      const { type } = item.envelope
      if (type === 'progress' || type === 'discovery') run.push(item)
      else {
        flushRun()
        compacted.push(item)
      }
    }
    flushRun()
    this.#items = compacted
    this.#bytes = compacted.reduce((sum, item) => sum + item.bytes.byteLength, 0)
    this.#compactAt = Math.max(this.#softLimitBytes, this.#bytes * 2)
  }

  /** A run of progress and discovery envelopes as at most one of each, in seq order. */
  #mergeRun(run: QueuedEnvelope[]): QueuedEnvelope[] {
    if (run.length < 2) return run
    const discoveries = run.filter((i) => i.envelope.type === 'discovery')
    const progresses = run.filter((i) => i.envelope.type === 'progress')
    const merged: ProgressEnvelope[] = []
    const lastDiscovery = discoveries.at(-1)?.envelope as DiscoveryEnvelope | undefined
    if (lastDiscovery) {
      const urls = discoveries.flatMap((i) => (i.envelope as DiscoveryEnvelope).urls)
      merged.push({ ...lastDiscovery, urls, coalesced: true })
    }
    const lastProgress = progresses.at(-1)?.envelope as ProgressEventEnvelope | undefined
    if (lastProgress) {
      const delta = sumDeltas(progresses.map((i) => (i.envelope as ProgressEventEnvelope).delta))
      merged.push({ ...lastProgress, delta, coalesced: true })
    }
    merged.sort((a, b) => a.seq - b.seq)
    return merged.map((envelope) => ({ envelope, bytes: this.#encode(envelope) }))
  }
}

function sumDeltas(deltas: readonly ProgressDelta[]): ProgressDelta {
  const sum: ProgressDelta = {}
  for (const delta of deltas) {
    for (const key of ['discovered', 'processed', 'failed'] as const) {
      const value = delta[key]
      if (value !== undefined) sum[key] = (sum[key] ?? 0) + value
    }
  }
  return sum
}
