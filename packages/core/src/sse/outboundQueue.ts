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

  push(envelope: ProgressEnvelope, bytes: Uint8Array): void {
    this.#items.push({ envelope, bytes })
    this.#bytes += bytes.byteLength
    if (this.#bytes > this.#compactAt) this.#compact()
  }

  /** Everything queued, as one new chunk, and empties the queue. */
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

  /**
   * Hands every queued chunk, as it is (shared, not copied), to `write` in order and empties the
   * queue; returns write's last answer.
   */
  writeEach(write: (chunk: Uint8Array) => boolean): boolean {
    let writable = true
    for (const { bytes } of this.#items) writable = write(bytes)
    this.clear()
    return writable
  }

  clear(): void {
    this.#items.length = 0
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

  /**
   * A run of progress and discovery envelopes as at most two, in seq order: every url merged into
   * the last discovery envelope, then the progress envelopes after it coalesced into the newest.
   * Progress before the last discovery is superseded by that envelope's absolute totals. Nothing
   * may come out of seq order: a client that resumes after an id must have had everything below.
   */
  #mergeRun(run: QueuedEnvelope[]): QueuedEnvelope[] {
    if (run.length < 2) return run
    const lastDiscoveryIndex = run.findLastIndex((item) => item.envelope.type === 'discovery')
    const merged: ProgressEnvelope[] = []
    if (lastDiscoveryIndex >= 0) {
      const lastDiscovery = run[lastDiscoveryIndex]?.envelope as DiscoveryEnvelope
      const urls = run.flatMap(({ envelope }) =>
        envelope.type === 'discovery' ? envelope.urls : [],
      )
      merged.push({ ...lastDiscovery, urls, coalesced: true })
    }
    let lastProgress: ProgressEventEnvelope | undefined
    let phase: string | undefined
    const delta: ProgressDelta = {}
    for (let index = 0; index < run.length; index++) {
      const { envelope } = run[index] as QueuedEnvelope
      if (envelope.type !== 'progress') continue
      // The job's phase is state: the latest one in the run survives the merge.
      if (envelope.detail?.phase !== undefined) phase = envelope.detail.phase
      if (index <= lastDiscoveryIndex) continue
      addDelta(delta, envelope.delta)
      lastProgress = envelope
    }
    if (lastProgress) {
      // The newest envelope's own detail, never an older envelope's page (a detail describes
      // one input; the merged delta stands for many), with the run's latest phase.
      const own = lastProgress.detail
      const detail = phase === undefined || own?.phase === phase ? own : { ...own, phase }
      merged.push({ ...lastProgress, delta, coalesced: true, ...(detail ? { detail } : {}) })
    }
    return merged.map((envelope) => ({ envelope, bytes: this.#encode(envelope) }))
  }

  /**
   * Replaces everything queued with one `resync` snapshot of the newest state (followed by the
   * terminal envelope, if one is queued): what a client needs when its backlog is too large to
   * send, as when history no longer holds its position.
   */
  collapseToSnapshot(): void {
    const terminal = this.#items.find((item) => isTerminalEnvelope(item.envelope))
    const newest = terminal ?? this.#items.at(-1)
    if (!newest) return
    const { envelope } = newest
    const snapshot: ProgressEnvelope = {
      v: 1,
      epoch: envelope.epoch,
      seq: terminal ? envelope.seq - 1 : envelope.seq,
      crawlId: envelope.crawlId,
      ts: envelope.ts,
      // The state after the newest envelope is that envelope's; before a terminal, no tag.
      ...(!terminal && envelope.tag !== undefined ? { tag: envelope.tag } : {}),
      type: 'snapshot',
      totals: envelope.totals,
      status: envelope.type === 'snapshot' ? envelope.status : 'running',
      resync: true,
    }
    const items: QueuedEnvelope[] = [{ envelope: snapshot, bytes: this.#encode(snapshot) }]
    if (terminal) items.push(terminal)
    this.#items = items
    this.#bytes = items.reduce((sum, item) => sum + item.bytes.byteLength, 0)
    this.#compactAt = this.#softLimitBytes
  }
}

/** Adds `delta` to `sum`, in place; a counter absent from both stays absent. */
function addDelta(sum: ProgressDelta, delta: ProgressDelta): void {
  for (const key of ['discovered', 'processed', 'failed'] as const) {
    const value = delta[key]
    if (value !== undefined) sum[key] = (sum[key] ?? 0) + value
  }
}
