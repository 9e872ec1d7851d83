import type { EventEnvelope, ProgressEnvelope } from '@docspasta/progress-core'
import { describe, expect, it } from 'vitest'
import { EnvelopeRecorder } from '../envelopeRecorder.js'
import type { ConformanceContext } from './context.js'

const range = (from: number, to: number) =>
  Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i)

/** Strips what legitimately differs between two deliveries of the same event. */
const comparable = (envelopes: readonly ProgressEnvelope[]) =>
  envelopes.filter((e) => e.type !== 'snapshot').map((e) => JSON.stringify(e))

export function registerOrderingTests(ctx: ConformanceContext): void {
  describe('ordering under concurrency', () => {
    it(
      'assigns contiguous seqs under 20 concurrent publishers, seen identically by every subscriber (no ordering)',
      async () => {
        const service = await ctx.service()
        const crawlId = ctx.crawlId('order')
        await service.start(crawlId)
        const recorders = [new EnvelopeRecorder(), new EnvelopeRecorder(), new EnvelopeRecorder()]
        for (const r of recorders) await service.subscribe(crawlId, r.handler, r.options())

        const publishers = 20
        const rounds = 10
        const results = await Promise.all(
          range(1, publishers).map(async (worker) => {
            const mine: EventEnvelope[] = []
            for (let round = 0; round < rounds; round++) {
              mine.push(
                await service.publish(crawlId, {
                  type: 'discovery',
                  urls: [`https://x/${worker}/${round}`],
                }),
              )
              mine.push(
                ...(await service.publishBatch(crawlId, [
                  { type: 'progress', delta: { processed: 1 } },
                  { type: 'progress', delta: { failed: 1, discovered: 2 } },
                ])),
              )
              await service.increment(crawlId, { processed: 2 })
            }
            return mine
          }),
        )
        const total = publishers * rounds * 4
        await service.complete(crawlId, { pages: total })
        const returned = results.flat().map((e) => e.seq)
        expect(new Set(returned).size).toBe(returned.length)

        for (const r of recorders) await r.waitForTerminal()
        for (const r of recorders) {
          expect(r.envelopes[0]?.type).toBe('snapshot')
          expect(r.seqs).toEqual(range(1, total + 1))
          expect(r.errors).toEqual([])
        }
        expect(comparable(recorders[1]!.envelopes)).toEqual(comparable(recorders[0]!.envelopes))
        expect(comparable(recorders[2]!.envelopes)).toEqual(comparable(recorders[0]!.envelopes))

        // Totals are absolute and never go backwards.
        const processed = recorders[0]!.envelopes.map((e) => e.totals.processed)
        expect(processed).toEqual([...processed].sort((a, b) => a - b))
        expect(recorders[0]!.terminals[0]?.totals).toEqual({
          discovered: publishers * rounds * 3,
          processed: publishers * rounds * 3,
          failed: publishers * rounds,
        })
      },
      ctx.timeoutMs,
    )

    it(
      'keeps exact totals for 20 concurrent workers × 500 increments (non-atomic progress)',
      async () => {
        const service = await ctx.service({ historyLimit: 100 })
        const crawlId = ctx.crawlId('incr')
        await service.start(crawlId)
        const workers = 20
        const perWorker = 500
        const seen = await Promise.all(
          range(1, workers).map(async () => {
            const processed: number[] = []
            for (let i = 0; i < perWorker; i++) {
              processed.push((await service.increment(crawlId, { processed: 1 })).processed)
            }
            return processed
          }),
        )
        // Every increment saw its own total: the returned values are exactly 1..10,000.
        expect(seen.flat().sort((a, b) => a - b)).toEqual(range(1, workers * perWorker))
        const snapshot = await service.getSnapshot(crawlId)
        expect(snapshot?.totals).toEqual({
          discovered: 0,
          processed: workers * perWorker,
          failed: 0,
        })
        expect(snapshot?.seq).toBe(workers * perWorker)
      },
      ctx.timeoutMs * 2,
    )
  })
}
