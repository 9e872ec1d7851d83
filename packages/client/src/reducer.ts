import type {
  CompleteStats,
  CrawlStatus,
  ProgressDetail,
  ProgressEnvelope,
  ProgressErrorInfo,
  ProgressTotals,
} from '@docspasta/progress-protocol'

/** Most entries ProgressState.recent holds: the newest, oldest dropped first. */
export const RECENT_DETAILS_LIMIT = 20

/** What one progress envelope's detail said about its work, with the envelope's seq and ts. */
export interface ProgressRecentEntry {
  seq: number
  /** Epoch milliseconds of the envelope. */
  ts: number
  url?: string
  outcome?: ProgressDetail['outcome']
  message?: string
}

/** What a progress UI needs, derived from envelopes alone. */
export interface ProgressState {
  /** `idle` until the first envelope arrives. */
  status: 'idle' | CrawlStatus
  crawlId: string | null
  epoch: string | null
  /** The seq of the last applied envelope (0 before any). */
  seq: number
  totals: ProgressTotals
  /** Epoch milliseconds of the last applied envelope. */
  updatedAt: number | null
  /** The complete event's stats, once completed. */
  stats: CompleteStats | null
  /** The error event's payload, once failed. */
  error: ProgressErrorInfo | null
  /**
   * The details (url, outcome, message) of the latest progress envelopes, newest last, at most
   * RECENT_DETAILS_LIMIT. Only envelopes the client received: a coalesced envelope brings its
   * own detail, not those of the envelopes it stands for.
   */
  recent: readonly ProgressRecentEntry[]
  /** The phase of the latest detail that named one. */
  phase: string | null
}

export const initialProgressState: ProgressState = Object.freeze({
  status: 'idle',
  crawlId: null,
  epoch: null,
  seq: 0,
  totals: Object.freeze({ discovered: 0, processed: 0, failed: 0 }),
  updatedAt: null,
  stats: null,
  error: null,
  recent: Object.freeze([]),
  phase: null,
}) as ProgressState

/**
 * A pure reducer for any UI (React `useReducer`, Vue, vanilla): applies one envelope and returns
 * the next state, or the same state object for a duplicate or stale envelope. Totals in each
 * envelope are absolute, so skipped (coalesced) envelopes lose nothing.
 *
 * @example
 * const [state, dispatch] = useReducer(reduceProgress, initialProgressState)
 * subscribeProgress(url, { onEvent: dispatch })
 */
export function reduceProgress(state: ProgressState, envelope: ProgressEnvelope): ProgressState {
  const resync = envelope.type === 'snapshot' && envelope.resync === true
  const sameEpoch = state.epoch === envelope.epoch && !resync
  if (sameEpoch && envelope.type !== 'snapshot' && envelope.seq <= state.seq) return state
  // A terminal state stays terminal within its epoch; only a new epoch starts over.
  if (sameEpoch && (state.status === 'completed' || state.status === 'failed')) return state

  const next: ProgressState = {
    ...(sameEpoch ? state : initialProgressState),
    status: 'running',
    crawlId: envelope.crawlId,
    epoch: envelope.epoch,
    seq: envelope.seq,
    totals: envelope.totals,
    updatedAt: envelope.ts,
  }
  switch (envelope.type) {
    case 'snapshot':
      next.status = envelope.status
      if (envelope.phase) next.phase = envelope.phase
      break
    case 'complete':
      next.status = 'completed'
      next.stats = envelope.stats
      break
    case 'error':
      next.status = 'failed'
      next.error = envelope.error
      break
    case 'progress': {
      // Most envelopes have no detail: they keep `recent` as it is, the same array.
      const { detail } = envelope
      if (!detail) break
      const { url, outcome, message, phase } = detail
      if (phase !== undefined) next.phase = phase
      if (url === undefined && outcome === undefined && message === undefined) break
      const entry: ProgressRecentEntry = { seq: envelope.seq, ts: envelope.ts }
      if (url !== undefined) entry.url = url
      if (outcome !== undefined) entry.outcome = outcome
      if (message !== undefined) entry.message = message
      next.recent = [...next.recent.slice(1 - RECENT_DETAILS_LIMIT), entry]
    }
  }
  return next
}
