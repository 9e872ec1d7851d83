import type { EnvelopeLogEntry } from '../../src/browser/subscriptionLog.js'

/**
 * What is wrong with the order of the envelopes a page applied (none: an empty list). Each epoch
 * opens with a snapshot (after the first, a `resync` one: a restart) and never comes back; within
 * it every seq follows the one before, except an envelope marked `coalesced`, which stands for
 * the seqs it skips. So no seq was applied twice or skipped. The log ends with the one terminal,
 * unless `ended` is false (a stream still open), and then holds none.
 */
export function envelopeOrderProblems(
  log: readonly EnvelopeLogEntry[],
  { ended = true }: { ended?: boolean } = {},
): string[] {
  const problems: string[] = []
  const epochs = new Set<string>()
  let epoch: string | undefined
  let seq = 0
  log.forEach((entry, index) => {
    const at = `#${index} (${entry.type} ${entry.epoch}:${entry.seq})`
    if (entry.epoch !== epoch) {
      if (entry.type !== 'snapshot') problems.push(`${at}: a new epoch without a snapshot`)
      if (epoch !== undefined && !entry.resync) problems.push(`${at}: a new epoch without resync`)
      if (epochs.has(entry.epoch)) problems.push(`${at}: an earlier epoch came back`)
      epochs.add(entry.epoch)
      epoch = entry.epoch
      seq = entry.seq
      return
    }
    if (entry.type === 'snapshot') problems.push(`${at}: a snapshot within an epoch`)
    else if (entry.seq !== seq + 1 && !(entry.coalesced && entry.seq > seq)) {
      problems.push(`${at}: follows seq ${seq}`)
    }
    seq = Math.max(seq, entry.seq)
  })
  const terminals = log.filter((entry) => entry.type === 'complete' || entry.type === 'error')
  if (terminals.length !== (ended ? 1 : 0)) problems.push(`${terminals.length} terminal envelopes`)
  if (terminals[0] && log.at(-1) !== terminals[0]) problems.push('the terminal is not the last')
  return problems
}
