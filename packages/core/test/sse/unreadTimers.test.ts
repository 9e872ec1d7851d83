import { createProgressStream, MemoryProgressService } from '@docspasta/progress-core'
import { afterEach, beforeEach, expect, it, vi } from 'vitest'

// When a consumer counts as "not reading", decided with fake timers: a reader that pauses
// between reads must never be taken for one that stopped.
const services: MemoryProgressService[] = []
beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(async () => {
  vi.useRealTimers()
  for (const service of services.splice(0)) await service.close()
})
function newService() {
  const service = new MemoryProgressService()
  services.push(service)
  return service
}
const text = (chunk: Uint8Array | undefined) => new TextDecoder().decode(chunk)

it('counts the wait for the next read from the end of the last one, not from its start', async () => {
  const service = newService()
  await service.start('paced')
  const stream = await createProgressStream(service, 'paced', {
    heartbeatMs: 200,
    unreadTimeoutMs: 150,
  })
  const reader = stream.getReader()
  expect(text((await reader.read()).value)).toBe('retry: 2000\n\n')
  expect(text((await reader.read()).value)).toContain('"type":"snapshot"')
  // A read that waits for a ping (t = 200), a pause of 30 ms, then a read that waits 155 ms for
  // an envelope: it began 185 ms ago when it ends.
  const ping = reader.read()
  await vi.advanceTimersByTimeAsync(200)
  expect(text((await ping).value)).toBe(': ping\n\n')
  await vi.advanceTimersByTimeAsync(30)
  const envelope = reader.read()
  await vi.advanceTimersByTimeAsync(155)
  await service.increment('paced', { processed: 1 })
  expect(text((await envelope).value)).toContain('"seq":1')
  // The consumer takes 30 ms to write that chunk; the heartbeat check at t = 400 falls inside.
  await vi.advanceTimersByTimeAsync(30)
  await service.increment('paced', { processed: 1 })
  const next = reader.read()
  await vi.advanceTimersByTimeAsync(50) // the flush deadline: 50 ms after the last write
  expect(text((await next).value)).toContain('"seq":2')
  await reader.cancel()
  expect(service.diagnostics().subscriptions).toBe(0)
})

it('releases a stream whose consumer took `retry:` and stopped, unreadTimeoutMs after', async () => {
  const service = newService()
  await service.start('finished')
  await service.complete('finished', {})
  const stream = await createProgressStream(service, 'finished', {
    heartbeatMs: 60_000,
    unreadTimeoutMs: 100,
  })
  const reader = stream.getReader()
  expect(text((await reader.read()).value)).toBe('retry: 2000\n\n')
  // Not the heartbeat (a minute away): the deadline set when the last bytes were queued.
  await vi.advanceTimersByTimeAsync(100)
  await expect(reader.read()).rejects.toMatchObject({
    name: 'UnreadResponseError',
    code: 'response-unread',
  })
})
