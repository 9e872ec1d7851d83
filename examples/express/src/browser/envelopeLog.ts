import type { ProgressClientStatus, ProgressEnvelope } from '@docspasta/progress-client'

/** One received envelope, as the page's tests read it: `[epoch, seq, type, stand-in]`. */
export type LoggedEnvelope = [epoch: string, seq: number, type: string, standIn: boolean]

/**
 * Every envelope each crawl's card received, on `window.demoEnvelopes`, so that a test can check
 * that no seq came twice or out of order. A coalesced envelope or a resync snapshot stands in for
 * the ones it replaces: the only envelopes allowed to skip seqs.
 */
export function logEnvelope(crawlId: string, envelope: ProgressEnvelope): void {
  logOf<LoggedEnvelope>('demoEnvelopes', crawlId).push(toLogged(envelope))
}

/** An envelope as the log holds it. */
export function toLogged(envelope: ProgressEnvelope): LoggedEnvelope {
  const standIn =
    envelope.type === 'snapshot' || ('coalesced' in envelope && envelope.coalesced === true)
  return [envelope.epoch, envelope.seq, envelope.type, standIn]
}

/** Every connection status each card went through, on `window.demoStatuses`: for the tests. */
export function logStatus(crawlId: string, status: ProgressClientStatus): void {
  logOf<ProgressClientStatus>('demoStatuses', crawlId).push(status)
}

/** The crawl's list in `window[name]`, created on first use. */
function logOf<T>(name: 'demoEnvelopes' | 'demoStatuses', crawlId: string): T[] {
  const store = window as unknown as Record<string, Record<string, T[]> | undefined>
  const all = store[name] ?? {}
  store[name] = all
  const log = all[crawlId] ?? []
  all[crawlId] = log
  return log
}
