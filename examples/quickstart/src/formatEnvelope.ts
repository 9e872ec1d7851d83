import type { ProgressEnvelope } from '@docspasta/progress-core'

/** One line per envelope, for a terminal. */
export function formatEnvelope(envelope: ProgressEnvelope): string {
  const { seq, type, totals } = envelope
  const counts = `discovered ${totals.discovered}, processed ${totals.processed}, failed ${totals.failed}`
  const line = `#${String(seq).padStart(3)} ${type.padEnd(9)} ${counts}`
  if (envelope.type !== 'progress' || !envelope.detail?.url) return line
  const { url, outcome = '', message } = envelope.detail
  return `${line}  ${outcome.padEnd(9)} ${url}${message ? ` (${message})` : ''}`
}
