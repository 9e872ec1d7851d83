// What the page's subscription received, kept in \`window\` for the tests (and the curious, in the
// console): they check from it that no seq was applied twice or skipped.
import type { ProgressEnvelope } from '@docspasta/progress-client'

/** One delivered envelope, as the tests read it: enough to check order per epoch. */
export interface EnvelopeLogEntry {
  epoch: string
  seq: number
  type: ProgressEnvelope['type']
  /** Stands for every seq since the previous envelope (a slow connection's merged queue). */
  coalesced: boolean
  /** A snapshot that starts the crawl over (a restart: a new epoch). */
  resync: boolean
}

declare global {
  interface Window {
    /** Every envelope the client delivered for the crawl on screen, in order. */
    __envelopes: EnvelopeLogEntry[]
    /** Every connection status of that crawl's subscription, in order. */
    __statuses: string[]
    /** Every problem its client reported (recoverable ones too), in order. */
    __errors: string[]
  }
}

/** Empties the logs for a new crawl. */
export function resetLogs(): void {
  window.__envelopes = []
  window.__statuses = []
  window.__errors = []
}

export function logEnvelope(envelope: ProgressEnvelope): void {
  window.__envelopes.push({
    epoch: envelope.epoch,
    seq: envelope.seq,
    type: envelope.type,
    coalesced: 'coalesced' in envelope && envelope.coalesced === true,
    resync: envelope.type === 'snapshot' && envelope.resync === true,
  })
}

export function logStatus(status: string): void {
  window.__statuses.push(status)
}

export function logError(message: string): void {
  window.__errors.push(message)
}
