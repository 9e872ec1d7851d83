import { CrawlNotFoundError, EPOCH_PATTERN, ServiceClosedError } from '@docspasta/progress-core'
import { describe, expect, it, vi } from 'vitest'
import { EnvelopeRecorder } from '../envelopeRecorder.js'
import type { ConformanceContext } from './context.js'

export function registerLifecycleTests(ctx: ConformanceContext): void {
  describe('lifecycle', () => {
    it(
      'creates a crawl idempotently: one epoch for 20 concurrent start() calls',
      async () => {
        const service = await ctx.service()
        const crawlId = ctx.crawlId('start')
        const snapshots = await Promise.all(
          Array.from({ length: 20 }, () => service.start(crawlId)),
        )
        const epochs = new Set(snapshots.map((s) => s.epoch))
        expect(epochs.size).toBe(1)
        const [first] = snapshots
        expect(first).toMatchObject({
          crawlId,
          status: 'running',
          seq: 0,
          totals: { discovered: 0, processed: 0, failed: 0 },
          terminal: null,
        })
        expect(first?.epoch).toMatch(EPOCH_PATTERN)
        await service.increment(crawlId, { processed: 1 })
        expect((await service.start(crawlId)).seq).toBe(1)
        const other = await service.start(ctx.crawlId('start-other'))
        expect(other.epoch).not.toBe(first?.epoch)
      },
      ctx.timeoutMs,
    )

    it(
      'rejects every call on a crawl that was never started and creates nothing',
      async () => {
        const service = await ctx.service()
        const crawlId = ctx.crawlId('never')
        const stored = await ctx.target.countStored?.()
        const calls: Promise<unknown>[] = [
          service.publish(crawlId, { type: 'progress', delta: { processed: 1 } }),
          service.publishBatch(crawlId, [{ type: 'discovery', urls: ['https://a'] }]),
          service.increment(crawlId, { processed: 1 }),
          service.complete(crawlId, {}),
          service.fail(crawlId, { code: 'c', message: 'm', retryable: false }),
          service.subscribe(crawlId, () => {}),
        ]
        for (const call of calls) await expect(call).rejects.toBeInstanceOf(CrawlNotFoundError)
        expect(await service.getSnapshot(crawlId)).toBeNull()
        expect(await service.cleanup(crawlId)).toBe(false)
        expect(await ctx.target.countStored?.()).toBe(stored)
        expect(service.diagnostics()).toEqual({ crawls: 0, subscriptions: 0, timers: 0 })
      },
      ctx.timeoutMs,
    )

    it(
      'cleanup() removes the crawl, ends its subscriptions, and a late worker cannot resurrect it',
      async () => {
        const service = await ctx.service()
        const crawlId = ctx.crawlId('cleanup')
        const { epoch } = await service.start(crawlId)
        const r = new EnvelopeRecorder()
        await service.subscribe(crawlId, r.handler, r.options())
        await service.increment(crawlId, { processed: 1 })
        await r.waitForSeq(1)
        expect(await service.cleanup(crawlId)).toBe(true)
        await r.waitForError()
        expect(r.errors[0]).toBeInstanceOf(CrawlNotFoundError)
        await expect(service.increment(crawlId, { processed: 1 })).rejects.toBeInstanceOf(
          CrawlNotFoundError,
        )
        expect(await service.getSnapshot(crawlId)).toBeNull()
        expect(service.diagnostics()).toEqual({ crawls: 0, subscriptions: 0, timers: 0 })
        // Starting it again is a new crawl: a new epoch, seq from 0.
        const again = await service.start(crawlId)
        expect(again.seq).toBe(0)
        expect(again.epoch).not.toBe(epoch)
      },
      ctx.timeoutMs,
    )

    it(
      'expires a finished crawl after ttlSeconds',
      async () => {
        const service = await ctx.service({ ttlSeconds: 1 })
        const crawlId = ctx.crawlId('ttl')
        await service.start(crawlId)
        await service.complete(crawlId, {})
        expect((await service.getSnapshot(crawlId))?.status).toBe('completed')
        await vi.waitFor(async () => expect(await service.getSnapshot(crawlId)).toBeNull(), {
          timeout: 5_000,
          interval: 100,
        })
        await expect(service.complete(crawlId, {})).rejects.toBeInstanceOf(CrawlNotFoundError)
        expect(service.diagnostics()).toEqual({ crawls: 0, subscriptions: 0, timers: 0 })
      },
      ctx.timeoutMs,
    )

    it(
      'reclaims an abandoned running crawl after idleTtlSeconds without events (unbounded throttle map)',
      async () => {
        const service = await ctx.service({ idleTtlSeconds: 1 })
        const crawlId = ctx.crawlId('idle')
        await service.start(crawlId)
        const r = new EnvelopeRecorder()
        await service.subscribe(crawlId, r.handler, r.options())
        await service.increment(crawlId, { processed: 1 })
        await vi.waitFor(async () => expect(await service.getSnapshot(crawlId)).toBeNull(), {
          timeout: 5_000,
          interval: 100,
        })
        await expect(service.increment(crawlId, { processed: 1 })).rejects.toBeInstanceOf(
          CrawlNotFoundError,
        )
        expect(await service.getSnapshot(crawlId)).toBeNull()
      },
      ctx.timeoutMs,
    )

    it(
      'holds no per-crawl entry, subscription or timer after cleanup, and none after close() (unbounded throttle map)',
      async () => {
        const service = await ctx.service()
        const ids = Array.from({ length: 5 }, (_, i) => ctx.crawlId(`diag-${i}`))
        for (const id of ids) {
          await service.start(id)
          for (let i = 0; i < 2; i++) {
            const r = new EnvelopeRecorder()
            await service.subscribe(id, r.handler, r.options())
          }
          await service.increment(id, { processed: 1 })
        }
        expect(service.diagnostics().subscriptions).toBe(10)
        await service.complete(ids[0] as string, {})
        for (const id of ids) await service.cleanup(id)
        expect(service.diagnostics()).toEqual({ crawls: 0, subscriptions: 0, timers: 0 })

        const closing = await ctx.service()
        const id = ctx.crawlId('close')
        await closing.start(id)
        const r = new EnvelopeRecorder()
        await closing.subscribe(id, r.handler, r.options())
        await closing.close()
        expect(closing.diagnostics()).toEqual({ crawls: 0, subscriptions: 0, timers: 0 })
        expect(r.errors[0]).toBeInstanceOf(ServiceClosedError)
        await expect(closing.start(id)).rejects.toBeInstanceOf(ServiceClosedError)
        await closing.close()
      },
      ctx.timeoutMs,
    )
  })
}
