import { CrawlNotFoundError, MemoryProgressService } from '@docspasta/progress-core'
import { EnvelopeRecorder } from '@docspasta/progress-testing'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

describe('MemoryProgressService timers (real)', () => {
  it('keeps no timer that holds the process open while crawls wait for their TTL', async () => {
    const refTimers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
    const baseline = refTimers()
    const service = new MemoryProgressService()
    for (let i = 0; i < 5; i++) await service.start(`unref-${i}`)
    await service.complete('unref-0', {})
    expect(service.diagnostics().timers).toBe(5)
    expect(refTimers()).toBe(baseline)
    await service.close()
    expect(service.diagnostics().timers).toBe(0)
  })
})

describe('MemoryProgressService TTLs (fake timers)', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('refreshes the idle TTL on every event and reclaims the crawl once idle', async () => {
    // Stall detection off: this is about the TTL alone.
    const service = new MemoryProgressService({ idleTtlSeconds: 60, staleAfterMs: 0 })
    await service.start('idle')
    const r = new EnvelopeRecorder()
    await service.subscribe('idle', r.handler, r.options())
    for (let minute = 0; minute < 5; minute++) {
      await vi.advanceTimersByTimeAsync(50_000)
      await service.increment('idle', { processed: 1 })
    }
    expect((await service.getSnapshot('idle'))?.seq).toBe(5)
    // The crawl's expiry timer, and the liveness check of the crawl its subscriber watches.
    expect(service.diagnostics().timers).toBe(2)

    await vi.advanceTimersByTimeAsync(60_000)
    // The timer removed it, not a lookup: the count drops without any call.
    expect(service.diagnostics()).toEqual({ crawls: 0, subscriptions: 0, timers: 0 })
    expect(r.errors[0]).toBeInstanceOf(CrawlNotFoundError)
    await expect(service.increment('idle', { processed: 1 })).rejects.toBeInstanceOf(
      CrawlNotFoundError,
    )
    await service.close()
  })

  it('shortens the lifetime to ttlSeconds after the terminal event', async () => {
    const service = new MemoryProgressService({ ttlSeconds: 10, idleTtlSeconds: 3_600 })
    await service.start('done')
    await service.complete('done', { pages: 1 })
    await vi.advanceTimersByTimeAsync(9_999)
    expect((await service.getSnapshot('done'))?.status).toBe('completed')
    await vi.advanceTimersByTimeAsync(1)
    expect(service.diagnostics().crawls).toBe(0)
    expect(await service.getSnapshot('done')).toBeNull()
    await service.close()
  })

  it('re-arms past the largest setTimeout delay instead of firing early', async () => {
    const service = new MemoryProgressService({ idleTtlSeconds: 30 * 86_400 })
    await service.start('long')
    await vi.advanceTimersByTimeAsync(2_147_483_647 + 1_000)
    expect(await service.getSnapshot('long')).not.toBeNull()
    expect(service.diagnostics().timers).toBe(1)
    await vi.advanceTimersByTimeAsync(30 * 86_400_000)
    expect(await service.getSnapshot('long')).toBeNull()
    await service.close()
  })

  it('validates its options', () => {
    expect(() => new MemoryProgressService({ historyLimit: 0 })).toThrow(/options\.historyLimit/)
    expect(() => new MemoryProgressService({ ttlSeconds: 1.5 })).toThrow(/options\.ttlSeconds/)
  })
})
