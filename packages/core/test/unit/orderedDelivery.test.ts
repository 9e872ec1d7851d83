import {
  MemoryProgressService,
  OrderedDelivery,
  type ProgressEnvelope,
  type ProgressError,
} from '@docspasta/progress-core'
import { describe, expect, it, vi } from 'vitest'

const envelope = (seq: number, type: 'progress' | 'complete' = 'progress') =>
  ({
    v: 1,
    epoch: 'e',
    seq,
    crawlId: 'c',
    ts: 0,
    totals: { discovered: 0, processed: seq, failed: 0 },
    ...(type === 'progress' ? { type, delta: {} } : { type, stats: {} }),
  }) as ProgressEnvelope

describe('OrderedDelivery', () => {
  it('drops duplicates, refuses gaps and closes after the terminal envelope', () => {
    const seen: number[] = []
    const onClosed = vi.fn()
    const delivery = new OrderedDelivery({ handler: (e) => seen.push(e.seq), onClosed }, 0)
    expect(delivery.offer(envelope(1))).toBe('delivered')
    expect(delivery.offer(envelope(1))).toBe('duplicate')
    expect(delivery.offer(envelope(3))).toBe('gap')
    expect(delivery.offer(envelope(2))).toBe('delivered')
    expect(delivery.offer(envelope(3, 'complete'))).toBe('delivered')
    expect(delivery.offer(envelope(4))).toBe('closed')
    expect(seen).toEqual([1, 2, 3])
    expect(onClosed).toHaveBeenCalledTimes(1)
  })

  it('reports a throwing handler once through onError and stops delivering', () => {
    const errors: ProgressError[] = []
    const delivery = new OrderedDelivery(
      {
        handler: () => {
          throw new Error('ui bug')
        },
        onError: (e) => errors.push(e),
        onClosed: () => {},
      },
      0,
    )
    delivery.offer(envelope(1))
    expect(delivery.offer(envelope(2))).toBe('closed')
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ code: 'handler-failed', cause: new Error('ui bug') })
  })

  it('delivers what a handler publishes during its own replay, after the replay', async () => {
    const service = new MemoryProgressService()
    await service.start('replay-publish')
    await service.publishBatch(
      'replay-publish',
      [1, 2, 3].map(() => ({ type: 'progress' as const, delta: { processed: 1 } })),
    )
    const seen: number[] = []
    await service.subscribe(
      'replay-publish',
      (e) => {
        seen.push(e.seq)
        if (e.seq === 1) void service.increment('replay-publish', { processed: 1 })
      },
      { afterSeq: 0 },
    )
    await service.complete('replay-publish', {})
    expect(seen).toEqual([1, 2, 3, 4, 5])
    expect(service.diagnostics().subscriptions).toBe(0)
    await service.close()
  })

  it('finishes a cleanup even when an onError callback throws, and rethrows it unswallowed', async () => {
    const rethrown: (() => void)[] = []
    const spy = vi.spyOn(globalThis, 'queueMicrotask').mockImplementation((task) => {
      rethrown.push(task)
    })
    try {
      const service = new MemoryProgressService()
      await service.start('throwing')
      const errors: string[] = []
      await service.subscribe('throwing', () => {}, {
        onError: () => {
          throw new Error('owner bug')
        },
      })
      await service.subscribe('throwing', () => {}, { onError: (e) => errors.push(e.code) })
      await service.cleanup('throwing')
      expect(errors).toEqual(['crawl-not-found'])
      expect(service.diagnostics()).toEqual({ crawls: 0, subscriptions: 0, timers: 0 })
      expect(rethrown).toHaveLength(1)
      expect(() => rethrown[0]?.()).toThrow('owner bug')
      await service.close()
    } finally {
      spy.mockRestore()
    }
  })

  it('keeps every subscriber in order when a handler publishes re-entrantly (no ordering)', async () => {
    const service = new MemoryProgressService()
    await service.start('reentrant')
    const first: number[] = []
    const second: number[] = []
    await service.subscribe('reentrant', (e) => {
      first.push(e.seq)
      if (e.seq === 1) void service.increment('reentrant', { processed: 1 })
    })
    await service.subscribe('reentrant', (e) => second.push(e.seq))
    await service.increment('reentrant', { processed: 1 })
    await service.increment('reentrant', { processed: 1 })
    expect(first).toEqual([0, 1, 2, 3])
    expect(second).toEqual([0, 1, 2, 3])
    await service.close()
  })
})
