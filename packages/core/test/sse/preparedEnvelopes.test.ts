import type { ProgressEnvelope } from '@docspasta/progress-core'
import { afterEach, beforeEach, expect, it, vi } from 'vitest'
import { PreparedEnvelopes } from '../../src/sse/preparedEnvelopes.js'

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

const envelope = (seq: number): ProgressEnvelope => ({
  v: 1,
  epoch: 'e',
  seq,
  crawlId: 'c',
  ts: 0,
  type: 'progress',
  totals: { discovered: 0, processed: seq, failed: 0 },
  delta: { processed: 1 },
})

it('gives every connection of a fan-out, even of interleaved batches, the same bytes and arrival', () => {
  const prepared = new PreparedEnvelopes(8)
  const batch = [envelope(1), envelope(2), envelope(3)]
  const first = batch.map((e) => prepared.prepare(e))
  vi.advanceTimersByTime(40)
  // Another listener of the same message, 40 ms later: nothing encoded again, nothing re-timed.
  const second = batch.map((e) => prepared.prepare(e))
  for (const [index, entry] of second.entries()) expect(entry).toBe(first[index])
})

it('holds at most its capacity, oldest out first: envelopes kept elsewhere keep no bytes here', () => {
  const prepared = new PreparedEnvelopes(8)
  const history = Array.from({ length: 100 }, (_, i) => envelope(i + 1))
  const entries = history.map((e) => prepared.prepare(e))
  expect(prepared.size).toBe(8)
  // The newest are still shared; an old one (a replay) is encoded again, to the same text.
  expect(prepared.prepare(history[95] as ProgressEnvelope)).toBe(entries[95])
  const again = prepared.prepare(history[0] as ProgressEnvelope)
  expect(again).not.toBe(entries[0])
  expect(again.bytes).toEqual(entries[0]?.bytes)
  expect(prepared.size).toBe(8)
})
