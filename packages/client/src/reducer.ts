import type {
  CompleteStats,
  CrawlStatus,
  ProgressEnvelope,
  ProgressErrorInfo,
  ProgressTotals,
} from '@docspasta/progress-core'

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

  const base: ProgressState = {
    ...(sameEpoch ? state : initialProgressState),
    crawlId: envelope.crawlId,
    epoch: envelope.epoch,
    seq: envelope.seq,
    totals: envelope.totals,
    updatedAt: envelope.ts,
  }
  switch (envelope.type) {
    case 'snapshot':
      return { ...base, status: envelope.status }
    case 'complete':
      return { ...base, status: 'completed', stats: envelope.stats }
    case 'error':
      return { ...base, status: 'failed', error: envelope.error }
    default:
      return { ...base, status: 'running' }
  }
}
