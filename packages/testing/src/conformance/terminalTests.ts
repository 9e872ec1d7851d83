import { CrawlClosedError, ProgressValidationError } from '@docspasta/progress-core'
import { describe, expect, it } from 'vitest'
import { EnvelopeRecorder } from '../envelopeRecorder.js'
import type { ConformanceContext } from './context.js'

export function registerTerminalTests(ctx: ConformanceContext): void {
  describe('terminal events', () => {
    it(
      'lets exactly one of 50 concurrent complete()/fail() calls win, with one terminal envelope per subscriber (completion race)',
      async () => {
        const service = await ctx.service()
        const crawlId = ctx.crawlId('race')
        await service.start(crawlId)
        await service.increment(crawlId, { processed: 3 })
        const recorders = [new EnvelopeRecorder(), new EnvelopeRecorder()]
        for (const r of recorders) await service.subscribe(crawlId, r.handler, r.options())

        const outcomes = await Promise.all(
          Array.from({ length: 50 }, (_, i) =>
            i % 2 === 0
              ? service.complete(crawlId, { worker: i })
              : service.fail(crawlId, {
                  code: 'worker-crashed',
                  message: `worker ${i}`,
                  retryable: false,
                }),
          ),
        )
        expect(outcomes.filter(Boolean)).toHaveLength(1)
        const winner = outcomes.indexOf(true)

        const snapshot = await service.getSnapshot(crawlId)
        expect(snapshot?.status).toBe(winner % 2 === 0 ? 'completed' : 'failed')
        expect(snapshot?.seq).toBe(2)
        expect(snapshot?.terminal?.seq).toBe(2)

        for (const r of recorders) {
          await r.waitForTerminal()
          expect(r.terminals).toHaveLength(1)
          expect(r.terminals[0]).toEqual(snapshot?.terminal)
          expect(r.seqs).toEqual([2])
        }
        // Nothing arrives after the terminal envelope: the subscriptions closed themselves.
        expect(service.diagnostics().subscriptions).toBe(0)
      },
      ctx.timeoutMs,
    )

    it(
      'rejects every publish after the terminal event with CrawlClosedError and assigns no seq',
      async () => {
        const service = await ctx.service()
        const crawlId = ctx.crawlId('closed')
        await service.start(crawlId)
        await service.publish(crawlId, { type: 'discovery', urls: ['https://a'] })
        expect(
          await service.fail(crawlId, { code: 'boom', message: 'down', retryable: true }),
        ).toBe(true)
        const before = await service.getSnapshot(crawlId)

        await expect(
          service.publish(crawlId, { type: 'progress', delta: { processed: 1 } }),
        ).rejects.toBeInstanceOf(CrawlClosedError)
        await expect(
          service.publishBatch(crawlId, [{ type: 'discovery', urls: ['https://b'] }]),
        ).rejects.toBeInstanceOf(CrawlClosedError)
        await expect(service.increment(crawlId, { processed: 1 })).rejects.toBeInstanceOf(
          CrawlClosedError,
        )
        await expect(
          service.publish(crawlId, { type: 'complete', stats: {} }),
        ).rejects.toBeInstanceOf(CrawlClosedError)
        expect(await service.complete(crawlId, {})).toBe(false)
        expect(await service.fail(crawlId, { code: 'x', message: 'y', retryable: false })).toBe(
          false,
        )
        expect(await service.getSnapshot(crawlId)).toEqual(before)
      },
      ctx.timeoutMs,
    )

    it(
      'gives a new subscriber of a finished crawl its snapshot, then the terminal envelope once',
      async () => {
        const service = await ctx.service()
        const crawlId = ctx.crawlId('finished')
        await service.start(crawlId)
        await service.increment(crawlId, { processed: 5, discovered: 7 })
        await service.complete(crawlId, { pages: 5 })

        const fresh = new EnvelopeRecorder()
        const subscription = await service.subscribe(crawlId, fresh.handler, fresh.options())
        await fresh.waitForTerminal()
        expect(fresh.envelopes.map((e) => [e.type, e.seq])).toEqual([
          ['snapshot', 1],
          ['complete', 2],
        ])
        expect(fresh.envelopes[0]?.totals).toEqual({ discovered: 7, processed: 5, failed: 0 })
        expect(subscription.closed).toBe(true)

        // A client that already holds the terminal envelope gets nothing more.
        const caughtUp = new EnvelopeRecorder()
        const done = await service.subscribe(
          crawlId,
          caughtUp.handler,
          caughtUp.options({ afterSeq: 2, epoch: fresh.envelopes[0]?.epoch }),
        )
        expect(done.closed).toBe(true)
        expect(caughtUp.envelopes).toEqual([])

        // One that missed it gets exactly the rest.
        const behind = new EnvelopeRecorder()
        await service.subscribe(crawlId, behind.handler, behind.options({ afterSeq: 0 }))
        await behind.waitForTerminal()
        expect(behind.seqs).toEqual([1, 2])
        expect(service.diagnostics().subscriptions).toBe(0)
      },
      ctx.timeoutMs,
    )

    it(
      'rejects a batch with a terminal input before its end and writes nothing',
      async () => {
        const service = await ctx.service()
        const crawlId = ctx.crawlId('batch-terminal')
        await service.start(crawlId)
        const before = await service.getSnapshot(crawlId)
        const rejected = service.publishBatch(crawlId, [
          { type: 'complete', stats: {} },
          { type: 'progress', delta: { processed: 1 } },
        ])
        await expect(rejected).rejects.toBeInstanceOf(ProgressValidationError)
        await expect(rejected).rejects.toMatchObject({ code: 'invalid-input', field: 'inputs.0' })
        expect(await service.getSnapshot(crawlId)).toEqual(before)

        const [progress, complete] = await service.publishBatch(crawlId, [
          { type: 'progress', delta: { processed: 1 } },
          { type: 'complete', stats: { ok: true } },
        ])
        expect([progress?.seq, complete?.seq]).toEqual([1, 2])
        expect((await service.getSnapshot(crawlId))?.status).toBe('completed')
        await expect(
          service.publishBatch(crawlId, [{ type: 'progress', delta: {} }]),
        ).rejects.toBeInstanceOf(CrawlClosedError)
      },
      ctx.timeoutMs,
    )
  })
}
