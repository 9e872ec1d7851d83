import {
  createProgressStream,
  MemoryProgressService,
  type ProgressEnvelope,
} from '@docspasta/progress-core'
import { afterEach, beforeEach, expect, it, vi } from 'vitest'

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

const seqsOf = (chunk: Uint8Array | undefined) =>
  new TextDecoder()
    .decode(chunk)
    .split('\n')
    .filter((line) => line.startsWith('data: '))
    .map((line) => (JSON.parse(line.slice(6)) as ProgressEnvelope).seq)

it('writes at once when idle, at most every maxLatencyMs when busy, and always the last state (fixed throttle)', async () => {
  const service = new MemoryProgressService()
  await service.start('flush')
  const reader = (
    await createProgressStream(service, 'flush', { maxLatencyMs: 200, heartbeatMs: 60_000 })
  ).getReader()
  await reader.read() // retry:
  expect(seqsOf((await reader.read()).value)).toEqual([0]) // the snapshot

  // Idle for a while: the next envelope goes out without waiting for any timer.
  await vi.advanceTimersByTimeAsync(1_000)
  await service.increment('flush', { processed: 1 })
  const idleAt = Date.now()
  expect(seqsOf((await reader.read()).value)).toEqual([1])
  expect(Date.now()).toBe(idleAt)

  // Busy: ten envelopes right after a write wait for the deadline, then go out together.
  for (let i = 0; i < 10; i++) await service.increment('flush', { processed: 1 })
  let chunk: Uint8Array | undefined
  const reading = reader.read().then((result) => {
    chunk = result.value
  })
  await vi.advanceTimersByTimeAsync(199)
  expect(chunk).toBeUndefined()
  await vi.advanceTimersByTimeAsync(1)
  await reading
  expect(seqsOf(chunk)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11])

  await reader.cancel()
  await service.close()
})
