import { expect } from 'vitest'
import type { LoggedEnvelope } from '../../src/browser/envelopeLog.js'

/**
 * Within each epoch every seq once and in order, one after the other, except a snapshot or a
 * coalesced envelope (stand-ins for what they replace). Returns the epochs seen, in order.
 */
export function expectEachSeqOnceInOrder(log: readonly LoggedEnvelope[]): string[] {
  expect(log.length).toBeGreaterThan(0)
  const epochs: string[] = []
  for (const [i, [epoch, seq, , standIn]] of log.entries()) {
    if (!epochs.includes(epoch)) epochs.push(epoch)
    const before = log[i - 1]
    if (!before || before[0] !== epoch) continue
    if (standIn) expect(seq).toBeGreaterThanOrEqual(before[1])
    else expect(seq, `envelope ${i} of ${log.length}`).toBe(before[1] + 1)
  }
  return epochs
}
