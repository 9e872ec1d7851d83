import type { ProgressEnvelope } from '@docspasta/progress-client'

/** One delivered envelope, as the log keeps it. */
export interface LoggedEnvelope {
  epoch: string
  seq: number
  type: ProgressEnvelope['type']
}

declare global {
  interface Window {
    /**
     * Every envelope the client delivered to the page, per crawl id, in order: what a test (or
     * the devtools console) reads to check that no envelope was applied twice.
     */
    __progressEnvelopes?: Record<string, LoggedEnvelope[]>
  }
}

/** Appends an envelope to `window.__progressEnvelopes[crawlId]`. */
export function logEnvelope(envelope: ProgressEnvelope): void {
  const log = window.__progressEnvelopes ?? {}
  window.__progressEnvelopes = log
  const entries = log[envelope.crawlId] ?? []
  log[envelope.crawlId] = entries
  entries.push({ epoch: envelope.epoch, seq: envelope.seq, type: envelope.type })
}
