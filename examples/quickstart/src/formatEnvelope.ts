import type { ProgressEnvelope } from '@docspasta/progress-core'

/** One line per envelope, for a terminal. */
export function formatEnvelope(envelope: ProgressEnvelope): string {
  const { seq, type, totals } = envelope
  const counts = `discovered ${totals.discovered}, processed ${totals.processed}, failed ${totals.failed}`
  return `#${String(seq).padStart(3)} ${type.padEnd(9)} ${counts}`
}
