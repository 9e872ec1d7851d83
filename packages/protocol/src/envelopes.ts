// The event model as plain TypeScript types, with no runtime dependency, so that browsers and
// the client can use them without zod. events.ts checks at compile time that its zod schemas
// infer exactly these types, so the two cannot drift.

/** Any value JSON can hold. */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | JsonValue[]
  | { [key: string]: JsonValue }

export type CrawlStatus = 'running' | 'completed' | 'failed'

/** The crawl's counters; every one a non-negative safe integer. */
export type ProgressTotals = {
  discovered: number
  processed: number
  failed: number
}

/** What one progress input adds to the totals; absent counters add nothing. */
export type ProgressDelta = {
  discovered?: number | undefined
  processed?: number | undefined
  failed?: number | undefined
}

/**
 * What one progress input says about the work behind it, all optional and bounded: the page's
 * url, its outcome, a short message and the job's current phase.
 */
export type ProgressDetail = {
  url?: string | undefined
  outcome?: 'processed' | 'failed' | 'skipped' | undefined
  message?: string | undefined
  phase?: string | undefined
}

/** What a crawl completed with: a JSON object of at most `PROGRESS_LIMITS.payloadMaxBytes`. */
export type CompleteStats = Record<string, JsonValue>

/** Why a crawl failed: a stable code, a message for people and whether a retry may help. */
export type ProgressErrorInfo = {
  code: string
  message: string
  retryable: boolean
}

export type DiscoveryInput = { type: 'discovery'; urls: string[] }
export type ProgressEventInput = {
  type: 'progress'
  delta: ProgressDelta
  detail?: ProgressDetail | undefined
}
export type CompleteInput = { type: 'complete'; stats: CompleteStats }
export type ErrorInput = { type: 'error'; error: ProgressErrorInfo }
/** What a worker publishes. */
export type ProgressInput = DiscoveryInput | ProgressEventInput | CompleteInput | ErrorInput

/** The fields every envelope has. */
export type EnvelopeBase = {
  v: 1
  epoch: string
  seq: number
  crawlId: string
  /** Epoch milliseconds at which the store appended the event. */
  ts: number
  /**
   * The event's own tag, derived from its call's random tag (and, on Redis, from the tag before
   * it). A store restored from older data can hand the same epoch and seq to another event; the
   * tag tells them apart. Absent on envelopes stored before tags existed, and on a snapshot that
   * stands for no single event (seq 0, or just before a terminal).
   */
  tag?: string | undefined
  totals: ProgressTotals
}

export type DiscoveryEnvelope = EnvelopeBase & {
  type: 'discovery'
  urls: string[]
  /**
   * Set by an SSE connection that merged queued envelopes for a slow client: this envelope
   * stands in for every seq after the one sent before it, so the seq step is not a gap.
   */
  coalesced?: true | undefined
}
export type ProgressEventEnvelope = EnvelopeBase & {
  type: 'progress'
  delta: ProgressDelta
  detail?: ProgressDetail | undefined
  /** See DiscoveryEnvelope.coalesced. */
  coalesced?: true | undefined
}
export type CompleteEnvelope = EnvelopeBase & { type: 'complete'; stats: CompleteStats }
export type ErrorEnvelope = EnvelopeBase & { type: 'error'; error: ProgressErrorInfo }
/** Server-made: the whole state at `seq` (0 before the first event). */
export type SnapshotEnvelope = EnvelopeBase & {
  type: 'snapshot'
  status: CrawlStatus
  resync?: boolean | undefined
  /** The phase of the latest detail that named one, so that a late viewer knows it too. */
  phase?: string | undefined
}
/** A terminal envelope: exactly one per crawl, always its last seq. */
export type TerminalEnvelope = CompleteEnvelope | ErrorEnvelope
/** An envelope that the store assigned a seq to (everything but a snapshot). */
export type EventEnvelope = DiscoveryEnvelope | ProgressEventEnvelope | TerminalEnvelope
/** What every subscriber receives: one shape for every type, always with `type`. */
export type ProgressEnvelope = EventEnvelope | SnapshotEnvelope
export type ProgressEnvelopeType = ProgressEnvelope['type']

/** True for `complete` and `error`: the envelope closes its crawl. */
export function isTerminalEnvelope(envelope: ProgressEnvelope): envelope is TerminalEnvelope {
  return envelope.type === 'complete' || envelope.type === 'error'
}
