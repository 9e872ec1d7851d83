import {
  CrawlClosedError,
  createProgressReporter,
  type ProgressEnvelope,
  type ProgressError,
  type ProgressTotals,
} from '@docspasta/progress-core'
import { describe, expect, it } from 'vitest'
import { EnvelopeRecorder } from '../envelopeRecorder.js'
import type { ConformanceContext } from './context.js'

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** True when no counter of any envelope is below the one before it. */
function totalsNeverDecrease(envelopes: readonly ProgressEnvelope[]): boolean {
  let last: ProgressTotals = { discovered: 0, processed: 0, failed: 0 }
  for (const { totals } of envelopes) {
    if (
      totals.discovered < last.discovered ||
      totals.processed < last.processed ||
      totals.failed < last.failed
    ) {
      return false
    }
    last = totals
  }
  return true
}

export function registerReporterTests(ctx: ConformanceContext): void {
  describe('progress reporter (coalescing worker publisher)', () => {
    it(
      'gives 10 racing reporters × 500 calls exact totals in far fewer envelopes than calls (snapshot per update)',
      async () => {
        const service = await ctx.service()
        const crawlId = ctx.crawlId('reporter-race')
        await service.start(crawlId)
        const recorder = new EnvelopeRecorder()
        await service.subscribe(crawlId, recorder.handler, recorder.options({ afterSeq: 0 }))

        const workers = 10
        const calls = 500
        const maxPending = 50
        const flushIntervalMs = 20
        const errors: ProgressError[] = []
        const started = performance.now()
        await Promise.all(
          Array.from({ length: workers }, async (_, worker) => {
            const reporter = createProgressReporter(service, crawlId, {
              flushIntervalMs,
              maxPending,
              onError: (error) => errors.push(error),
            })
            for (let i = 0; i < calls; i++) {
              if (i % 10 === 9) reporter.failed()
              else reporter.processed()
              // Bursts of varying length between yields, so that flushes interleave.
              if (i % (7 + worker) === 0) await pause(0)
            }
            await reporter.close()
          }),
        )
        const elapsedMs = performance.now() - started
        expect(errors).toEqual([])

        const snapshot = await service.getSnapshot(crawlId)
        // Every tenth call is a failure.
        const failed = (workers * calls) / 10
        const expected = { discovered: 0, processed: workers * calls - failed, failed }
        expect(snapshot?.totals).toEqual(expected)
        // Each batch here is one summed progress input, so one envelope. A reporter sends a batch
        // when maxPending calls accumulated (at most calls / maxPending of them), when its
        // interval allows (the start of each is at least flushIntervalMs after the one before:
        // at most elapsed / interval + 1), and once more on close().
        const perReporter = calls / maxPending + Math.ceil(elapsedMs / flushIntervalMs) + 2
        expect(snapshot?.seq).toBeLessThanOrEqual(workers * perReporter)
        expect(snapshot?.seq).toBeLessThan(workers * calls)

        await recorder.waitForSeq(snapshot?.seq ?? 0)
        expect(recorder.seqs).toEqual(Array.from({ length: snapshot?.seq ?? 0 }, (_, i) => i + 1))
        expect(totalsNeverDecrease(recorder.envelopes)).toBe(true)
        expect(recorder.envelopes.at(-1)?.totals).toEqual(expected)
      },
      ctx.timeoutMs,
    )

    it(
      'flushes bursts before complete(): the terminal envelope carries the exact totals',
      async () => {
        const service = await ctx.service()
        const crawlId = ctx.crawlId('reporter-complete')
        await service.start(crawlId)
        const recorder = new EnvelopeRecorder()
        await service.subscribe(crawlId, recorder.handler, recorder.options({ afterSeq: 0 }))

        const reporters = Array.from({ length: 3 }, () =>
          createProgressReporter(service, crawlId, { flushIntervalMs: 1_000 }),
        )
        for (let burst = 0; burst < 5; burst++) {
          for (const [index, reporter] of reporters.entries()) {
            reporter.discovered(
              Array.from({ length: 20 }, (_, i) => `https://r${index}/${burst}/${i}`),
            )
            for (let i = 0; i < 200; i++) reporter.processed()
            reporter.failed(3, { url: `https://r${index}/${burst}/0`, outcome: 'failed' })
          }
          await pause(5)
        }
        // Every reporter holds a batch now (the interval has not passed since its first).
        for (const reporter of reporters) expect(reporter.pending).toBeGreaterThan(0)
        const [last, ...others] = reporters as [(typeof reporters)[0], ...typeof reporters]
        await Promise.all(others.map((reporter) => reporter.close()))
        expect(await last.complete({ workers: 3 })).toBe(true)

        const expected = { discovered: 300, processed: 3_000, failed: 45 }
        await recorder.waitForTerminal()
        expect(recorder.terminals).toHaveLength(1)
        expect(recorder.terminals[0]).toMatchObject({ type: 'complete', totals: expected })
        expect(totalsNeverDecrease(recorder.envelopes)).toBe(true)
        expect((await service.getSnapshot(crawlId))?.terminal?.totals).toEqual(expected)
      },
      ctx.timeoutMs,
    )

    it(
      'stops a reporter whose crawl another worker closed: flush() rejects with CrawlClosedError',
      async () => {
        const service = await ctx.service()
        const crawlId = ctx.crawlId('reporter-closed')
        await service.start(crawlId)
        const errors: ProgressError[] = []
        const reporter = createProgressReporter(service, crawlId, {
          onError: (error) => errors.push(error),
        })
        reporter.processed()
        await reporter.flush()
        expect(await service.complete(crawlId, {})).toBe(true)
        reporter.processed()
        await expect(reporter.flush()).rejects.toBeInstanceOf(CrawlClosedError)
        expect(reporter.closed).toBe(true)
        expect(() => reporter.processed()).toThrow(CrawlClosedError)
        // What it still holds can never be stored: complete() says so rather than answer false.
        expect(reporter.pending).toBe(1)
        await expect(reporter.complete()).rejects.toBeInstanceOf(CrawlClosedError)
        expect(errors).toEqual([])
        expect((await service.getSnapshot(crawlId))?.terminal?.totals.processed).toBe(1)
      },
      ctx.timeoutMs,
    )
  })
}
