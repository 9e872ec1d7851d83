import type { ProgressInput } from '@docspasta/progress-core'
import { describe, expect, it } from 'vitest'
import { EnvelopeRecorder } from '../envelopeRecorder.js'
import type { ConformanceContext } from './context.js'

const progress = (processed = 1): ProgressInput => ({ type: 'progress', delta: { processed } })

export function registerOperationTests(ctx: ConformanceContext): void {
  describe('operation ids (idempotent calls)', () => {
    it(
      'answers a repeated operation id with the original envelopes and writes nothing',
      async () => {
        const service = await ctx.service()
        const crawlId = ctx.crawlId('op-repeat')
        await service.start(crawlId)
        const recorder = new EnvelopeRecorder()
        await service.subscribe(crawlId, recorder.handler, recorder.options({ afterSeq: 0 }))

        const operationId = 'job-7:page-3'
        const first = await service.publish(
          crawlId,
          { type: 'discovery', urls: ['https://a', 'https://b'] },
          { operationId },
        )
        const stored = await ctx.target.countStored?.()
        // A worker that crashed after the call and retries it, with other content even.
        const again = await service.publish(
          crawlId,
          { type: 'discovery', urls: ['https://c'] },
          { operationId },
        )
        expect(again).toEqual(first)
        expect(await ctx.target.countStored?.()).toBe(stored)

        const batch = await service.publishBatch(crawlId, [progress(2), progress(3)], {
          operationId: 'batch-1',
        })
        expect(
          await service.publishBatch(crawlId, [progress(9)], { operationId: 'batch-1' }),
        ).toEqual(batch)
        const totals = await service.increment(crawlId, { failed: 1 }, { operationId: 'inc-1' })
        expect(await service.increment(crawlId, { failed: 1 }, { operationId: 'inc-1' })).toEqual(
          totals,
        )
        expect(totals).toEqual({ discovered: 2, processed: 5, failed: 1 })

        await service.increment(crawlId, { processed: 1 })
        await recorder.waitForSeq(5)
        const snapshot = await service.getSnapshot(crawlId)
        expect(snapshot).toMatchObject({
          seq: 5,
          totals: { discovered: 2, processed: 6, failed: 1 },
        })
        // Each event reached the subscriber once.
        expect(recorder.seqs).toEqual([1, 2, 3, 4, 5])
        // Every envelope has a tag of its own.
        const tags = [first, ...batch].map((e) => e.tag)
        for (const tag of tags) expect(tag).toMatch(/^[a-z0-9]{1,16}$/)
        expect(new Set(tags).size).toBe(3)
      },
      ctx.timeoutMs,
    )

    it(
      'keeps "this call closed the crawl" for a repeated complete() or fail()',
      async () => {
        const service = await ctx.service()
        const crawlId = ctx.crawlId('op-terminal')
        await service.start(crawlId)
        expect(await service.complete(crawlId, { pages: 1 }, { operationId: 'closer' })).toBe(true)
        expect(await service.complete(crawlId, { pages: 1 }, { operationId: 'closer' })).toBe(true)
        expect(await service.complete(crawlId, { pages: 1 }, { operationId: 'other' })).toBe(false)
        const error = { code: 'late', message: 'm', retryable: false }
        expect(await service.fail(crawlId, error, { operationId: 'closer-2' })).toBe(false)
        // The id of the closing call is remembered whatever came before it.
        const failing = ctx.crawlId('op-terminal-fail')
        await service.start(failing)
        expect(await service.fail(failing, error, { operationId: 'f' })).toBe(true)
        expect(await service.fail(failing, error, { operationId: 'f' })).toBe(true)
        const snapshot = await service.getSnapshot(failing)
        expect(snapshot).toMatchObject({ seq: 1, status: 'failed' })
        await expect(
          service.publish(crawlId, progress(), { operationId: 'closer' }),
        ).resolves.toMatchObject({ type: 'complete', seq: 1 })
        // An id of a call that did not close the crawl cannot close it now, nor claim it did.
        const running = ctx.crawlId('op-terminal-reused')
        await service.start(running)
        await service.increment(running, { processed: 1 }, { operationId: 'page-1' })
        await expect(
          service.complete(running, {}, { operationId: 'page-1' }),
        ).rejects.toMatchObject({
          code: 'invalid-input',
          field: 'options.operationId',
        })
        expect(await service.getSnapshot(running)).toMatchObject({ status: 'running', seq: 1 })
      },
      ctx.timeoutMs,
    )

    it(
      'remembers an id while history holds its call, and applies it anew once forgotten',
      async () => {
        const historyLimit = 5
        const service = await ctx.service({ historyLimit })
        const crawlId = ctx.crawlId('op-window')
        await service.start(crawlId)
        await service.increment(crawlId, { processed: 1 }, { operationId: 'old' })
        for (let i = 0; i < historyLimit - 1; i++)
          await service.increment(crawlId, { processed: 1 })
        // Seq 1 is the oldest entry still held: the id is remembered.
        expect(await service.increment(crawlId, { processed: 1 }, { operationId: 'old' })).toEqual({
          discovered: 0,
          processed: 1,
          failed: 0,
        })
        await service.increment(crawlId, { processed: 1 })
        // Seq 1 left history with the sixth event: the same id is a new call now.
        expect(await service.increment(crawlId, { processed: 1 }, { operationId: 'old' })).toEqual({
          discovered: 0,
          processed: 7,
          failed: 0,
        })
      },
      ctx.timeoutMs,
    )

    it(
      'rejects an invalid operation id with ProgressValidationError and writes nothing',
      async () => {
        const service = await ctx.service()
        const crawlId = ctx.crawlId('op-invalid')
        await service.start(crawlId)
        const before = await service.getSnapshot(crawlId)
        for (const operationId of ['', 'a b', 'x'.repeat(129), 'tab\there', 'é', 7]) {
          const options = { operationId: operationId as string }
          for (const call of [
            service.publish(crawlId, progress(), options),
            service.publishBatch(crawlId, [progress()], options),
            service.increment(crawlId, { processed: 1 }, options),
            service.complete(crawlId, {}, options),
            service.fail(crawlId, { code: 'c', message: 'm', retryable: false }, options),
          ]) {
            await expect(call).rejects.toMatchObject({
              code: 'invalid-input',
              field: 'options.operationId',
            })
          }
        }
        expect(await service.getSnapshot(crawlId)).toEqual(before)
      },
      ctx.timeoutMs,
    )

    it(
      'gives 20 concurrent callers of one operation id one application and one outcome',
      async () => {
        const service = await ctx.service()
        const crawlId = ctx.crawlId('op-concurrent')
        await service.start(crawlId)
        const results = await Promise.all(
          Array.from({ length: 20 }, () =>
            service.publishBatch(crawlId, [progress(1), progress(1)], { operationId: 'same' }),
          ),
        )
        for (const result of results) expect(result).toEqual(results[0])
        expect(await service.getSnapshot(crawlId)).toMatchObject({
          seq: 2,
          totals: { processed: 2 },
        })
      },
      ctx.timeoutMs,
    )
  })
}
