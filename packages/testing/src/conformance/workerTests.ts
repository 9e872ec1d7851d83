import {
  CrawlNotFoundError,
  createProgressReporter,
  type ProgressEnvelope,
  type ProgressSnapshot,
  runCrawlJob,
} from '@docspasta/progress-core'
import { describe, expect, it } from 'vitest'
import { EnvelopeRecorder } from '../envelopeRecorder.js'
import type { ConformanceContext } from './context.js'

/** Stall detection short enough for a test; each check waits for its condition. */
const STALE_AFTER_MS = 400

/** A thrown Error, with its stack, as a job would throw it. */
const withStack = (message: string) => new Error(message)

export function registerWorkerTests(ctx: ConformanceContext): void {
  describe('the job wrapper (runCrawlJob)', () => {
    it(
      'a worker that throws fails the crawl with code, message and retryable, never the stack (lost errors)',
      async () => {
        const service = await ctx.service()
        const crawlId = ctx.crawlId('throws')
        await service.start(crawlId)
        const recorder = new EnvelopeRecorder()
        await service.subscribe(crawlId, recorder.handler, recorder.options())

        const result = await runCrawlJob(service, crawlId, async ({ reporter }) => {
          reporter.discovered(['https://a.test/1', 'https://a.test/2'])
          reporter.processed(1, { url: 'https://a.test/1', outcome: 'processed' })
          throw Object.assign(withStack('the site answered 500 three times'), {
            code: 'upstream-500',
            retryable: false,
          })
        })

        expect(result).toMatchObject({
          outcome: 'failed',
          closedCrawl: true,
          info: { code: 'upstream-500', message: 'the site answered 500 three times' },
        })
        await recorder.waitForTerminal()
        const terminal = recorder.terminals[0] as ProgressEnvelope & { type: 'error' }
        expect(terminal.error).toEqual({
          code: 'upstream-500',
          message: 'the site answered 500 three times',
          retryable: false,
        })
        // What was reported before the throw was flushed before the terminal.
        expect(terminal.totals).toEqual({ discovered: 2, processed: 1, failed: 0 })
        expect(JSON.stringify(recorder.envelopes)).not.toMatch(/stack|at async|\.ts:\d/)
        expect(recorder.errors).toEqual([])
      },
      ctx.timeoutMs,
    )

    it(
      'completes with the job’s stats and says that this call closed the crawl',
      async () => {
        const service = await ctx.service()
        const crawlId = ctx.crawlId('completes')
        const result = await runCrawlJob(service, crawlId, async ({ reporter, attempt }) => {
          expect(attempt).toBe(1)
          reporter.discovered(['https://a.test/1'])
          reporter.processed(1)
          return { pages: 1 }
        })
        expect(result).toEqual({ outcome: 'completed', closedCrawl: true, stats: { pages: 1 } })
        const snapshot = await service.getSnapshot(crawlId)
        expect(snapshot?.status).toBe('completed')
        expect(snapshot?.terminal).toMatchObject({
          type: 'complete',
          stats: { pages: 1 },
          totals: { discovered: 1, processed: 1, failed: 0 },
        })
      },
      ctx.timeoutMs,
    )

    it(
      '20 workers racing on one crawl: one terminal, one caller closed it, the others end normally (completion race)',
      async () => {
        const service = await ctx.service()
        const crawlId = ctx.crawlId('race20')
        const recorder = new EnvelopeRecorder()
        await service.start(crawlId)
        await service.subscribe(crawlId, recorder.handler, recorder.options())

        const results = await Promise.all(
          Array.from({ length: 20 }, (_, worker) =>
            runCrawlJob(
              service,
              crawlId,
              async ({ reporter }) => {
                for (let page = 0; page < 10; page++) {
                  reporter.processed(1, { url: `https://a.test/${worker}/${page}` })
                  await new Promise((resolve) => setImmediate(resolve))
                }
                if (worker % 5 === 4) throw withStack(`worker ${worker} failed`)
                return { worker }
              },
              { reporter: { flushIntervalMs: 5 } },
            ),
          ),
        )

        expect(results.filter((result) => result.closedCrawl)).toHaveLength(1)
        for (const result of results) {
          expect(['completed', 'failed', 'closed']).toContain(result.outcome)
        }
        await recorder.waitForTerminal()
        expect(recorder.terminals).toHaveLength(1)
        const snapshot = (await service.getSnapshot(crawlId)) as ProgressSnapshot
        expect(snapshot.terminal).toEqual(recorder.terminals[0])
        expect(recorder.errors).toEqual([])
        // In seq order, contiguous, and nothing after the terminal.
        expect(recorder.seqs).toEqual(Array.from({ length: snapshot.seq }, (_, i) => i + 1))
      },
      ctx.timeoutMs,
    )

    it(
      'a retried job: clients stay connected across the restart, resync, and end with exact totals',
      async () => {
        const service = await ctx.service()
        const crawlId = ctx.crawlId('retried')
        const urls = [
          'https://a.test/1',
          'https://a.test/2',
          'https://a.test/3',
          'https://a.test/4',
        ]
        const crawl = (failAfter: number | undefined) =>
          runCrawlJob.bind(null, service, crawlId, async ({ reporter }) => {
            reporter.discovered(urls)
            for (const [index, url] of urls.entries()) {
              if (index === failAfter) {
                throw Object.assign(withStack('timeout'), { code: 'timeout' })
              }
              reporter.processed(1, { url })
            }
            return { pages: urls.length }
          })

        const { epoch: firstEpoch } = await service.start(crawlId)
        const recorder = new EnvelopeRecorder()
        await service.subscribe(crawlId, recorder.handler, recorder.options())

        const first = await crawl(2)({ attempt: 1, attempts: 3 })
        expect(first).toMatchObject({
          outcome: 'retry',
          closedCrawl: false,
          info: { code: 'timeout' },
        })
        // Attempt 1 reported 2 pages before it threw; clients saw them.
        expect(recorder.envelopes.some((e) => e.totals.processed === 2)).toBe(true)
        // The crawl waits for attempt 2 as new (unclaimed: no stall check fails it meanwhile).
        const between = (await service.getSnapshot(crawlId)) as ProgressSnapshot
        expect(between).toMatchObject({ status: 'running', seq: 0, terminal: null })
        expect(between.totals).toEqual({ discovered: 0, processed: 0, failed: 0 })
        expect(between.epoch).not.toBe(firstEpoch)
        await recorder.waitFor(() => recorder.envelopes.at(-1)?.epoch === between.epoch)

        // A client that connects while the next attempt starts over never sees the crawl missing.
        const late = new EnvelopeRecorder()
        const [second] = await Promise.all([
          crawl(undefined)({ attempt: 2, attempts: 3 }),
          service.subscribe(crawlId, late.handler, late.options()),
        ])
        expect(second).toMatchObject({ outcome: 'completed', closedCrawl: true })

        for (const client of [recorder, late]) {
          await client.waitForTerminal()
          expect(client.errors).toEqual([])
          expect(client.terminals[0]?.totals).toEqual({ discovered: 4, processed: 4, failed: 0 })
        }
        const resync = recorder.envelopes.find(
          (envelope) => envelope.type === 'snapshot' && envelope.resync === true,
        )
        expect(resync).toMatchObject({ seq: 0, totals: { discovered: 0, processed: 0, failed: 0 } })
        // One restart (attempt 2 found the crawl as new and kept it): one resync, one new epoch.
        expect(resync?.epoch).toBe(between.epoch)
        expect(recorder.envelopes.filter((e) => e.type === 'snapshot' && e.resync)).toHaveLength(1)
        expect((await service.getSnapshot(crawlId))?.epoch).toBe(between.epoch)
        // After the resync, the new epoch's events arrive in order from seq 1.
        const after = recorder.envelopes.slice(
          recorder.envelopes.indexOf(resync as ProgressEnvelope) + 1,
        )
        expect(after.map((envelope) => envelope.seq)).toEqual(after.map((_, i) => i + 1))
        expect(after.every((envelope) => envelope.epoch === resync?.epoch)).toBe(true)
      },
      ctx.timeoutMs,
    )

    it(
      'fails the crawl for good only on the last attempt, and at once for a non-retryable error',
      async () => {
        const service = await ctx.service()
        const lastAttempt = ctx.crawlId('last')
        const fatal = ctx.crawlId('fatal')
        const throwing = (error: unknown) => async () => {
          throw error
        }
        const retry = await runCrawlJob(service, lastAttempt, throwing(withStack('flaky')), {
          attempt: 1,
          attempts: 2,
        })
        expect(retry.outcome).toBe('retry')
        expect((await service.getSnapshot(lastAttempt))?.status).toBe('running')
        const last = await runCrawlJob(service, lastAttempt, throwing(withStack('flaky')), {
          attempt: 2,
          attempts: 2,
        })
        expect(last).toMatchObject({ outcome: 'failed', closedCrawl: true })
        expect((await service.getSnapshot(lastAttempt))?.terminal).toMatchObject({
          type: 'error',
          error: { code: 'job-failed', message: 'flaky', retryable: true },
        })

        const notRetryable = Object.assign(withStack('bad url'), { retryable: false })
        const early = await runCrawlJob(service, fatal, throwing(notRetryable), {
          attempt: 1,
          attempts: 5,
        })
        expect(early).toMatchObject({ outcome: 'failed', closedCrawl: true })
      },
      ctx.timeoutMs,
    )
  })

  describe('the job wrapper when things go wrong', () => {
    it(
      'a describeError that throws still fails the crawl, and no heartbeat keeps it alive',
      async () => {
        const service = await ctx.service({ staleAfterMs: STALE_AFTER_MS })
        const crawlId = ctx.crawlId('describe-throws')
        const result = await runCrawlJob(
          service,
          crawlId,
          async ({ reporter }) => {
            reporter.processed(1)
            throw new Error('boom')
          },
          {
            describeError: () => {
              throw new Error('describe failed')
            },
            reporter: { heartbeatIntervalMs: STALE_AFTER_MS / 8 },
          },
        )
        expect(result).toMatchObject({ outcome: 'failed', closedCrawl: true })
        expect((await service.getSnapshot(crawlId))?.terminal).toMatchObject({
          error: { code: 'job-failed', retryable: false },
          totals: { processed: 1 },
        })
      },
      ctx.timeoutMs,
    )

    it(
      'invalid stats from the job fail the crawl with invalid-input, after what it reported',
      async () => {
        const service = await ctx.service()
        const crawlId = ctx.crawlId('bad-stats')
        await expect(
          runCrawlJob(service, crawlId, async ({ reporter }) => {
            reporter.processed(2)
            return [] as never
          }),
        ).rejects.toMatchObject({ code: 'invalid-input', field: 'stats' })
        expect((await service.getSnapshot(crawlId))?.terminal).toMatchObject({
          error: { code: 'invalid-input', retryable: false },
          totals: { processed: 2 },
        })
      },
      ctx.timeoutMs,
    )

    it(
      'a worker of an earlier epoch cannot publish, heartbeat or end the restarted crawl',
      async () => {
        const service = await ctx.service()
        const crawlId = ctx.crawlId('fenced')
        const { epoch: old } = await service.start(crawlId)
        await service.increment(crawlId, { processed: 1 }, { epoch: old })
        const zombie = createProgressReporter(service, crawlId, { epoch: old, onError: () => {} })
        const { epoch } = await service.restart(crawlId)
        zombie.processed(3)
        await expect(zombie.flush()).rejects.toMatchObject({
          code: 'crawl-closed',
          restarted: true,
        })
        expect(zombie.closed).toBe(true)
        const stale = { epoch: old }
        for (const call of [
          () => service.increment(crawlId, { processed: 5 }, stale),
          () => service.publishBatch(crawlId, [{ type: 'progress', delta: { failed: 1 } }], stale),
        ]) {
          await expect(call()).rejects.toMatchObject({ code: 'crawl-closed', restarted: true })
        }
        expect(await service.complete(crawlId, {}, stale)).toBe(false)
        expect(await service.heartbeat(crawlId, stale)).toBe(false)
        // Nor restart it again: a restart meant for the old epoch leaves the new one alone.
        await service.increment(crawlId, { processed: 2 }, { epoch })
        expect(await service.restart(crawlId, stale)).toMatchObject({ epoch, seq: 1 })
        expect(await service.getSnapshot(crawlId)).toMatchObject({
          epoch,
          status: 'running',
          seq: 1,
          totals: { discovered: 0, processed: 2, failed: 0 },
        })
        await expect(
          service.increment(crawlId, { processed: 1 }, { epoch: 'NOT-AN-EPOCH' }),
        ).rejects.toMatchObject({ code: 'invalid-input', field: 'options.epoch' })
      },
      ctx.timeoutMs,
    )
  })

  describe('restart', () => {
    it(
      'is one atomic step: readers racing it see the old state or the new one, never none or half',
      async () => {
        const service = await ctx.service()
        const crawlId = ctx.crawlId('atomic')
        const { epoch: old } = await service.start(crawlId)
        await service.publishBatch(crawlId, [
          { type: 'discovery', urls: ['https://a.test/1', 'https://a.test/2'] },
          { type: 'progress', delta: { processed: 2 } },
        ])
        await service.complete(crawlId, { pages: 2 })

        let restarted = false
        const seen: (ProgressSnapshot | null)[] = []
        const reader = (async () => {
          while (!restarted) seen.push(await service.getSnapshot(crawlId))
          seen.push(await service.getSnapshot(crawlId))
        })()
        const subscribers = Array.from({ length: 10 }, () => new EnvelopeRecorder())
        const [fresh] = await Promise.all([
          service.restart(crawlId).finally(() => {
            restarted = true
          }),
          ...subscribers.map((r) => service.subscribe(crawlId, r.handler, r.options())),
        ])
        await reader

        expect(fresh.epoch).not.toBe(old)
        expect(fresh).toMatchObject({ status: 'running', seq: 0, terminal: null })
        expect(fresh.totals).toEqual({ discovered: 0, processed: 0, failed: 0 })
        for (const snapshot of seen) {
          expect(snapshot).not.toBeNull()
          if (snapshot?.epoch === old) {
            expect(snapshot).toMatchObject({ status: 'completed', seq: 3 })
          } else {
            expect(snapshot).toMatchObject({ epoch: fresh.epoch, status: 'running', seq: 0 })
          }
        }
        // The restarted crawl takes events from seq 1, and every subscriber gets them.
        await service.increment(crawlId, { processed: 1 })
        for (const r of subscribers) {
          await r.waitFor(() => r.envelopes.at(-1)?.epoch === fresh.epoch && r.lastSeq === 1)
          expect(r.errors).toEqual([])
        }
      },
      ctx.timeoutMs,
    )

    it(
      'forgets the operation ids of the old epoch and creates a crawl that does not exist',
      async () => {
        const service = await ctx.service()
        const crawlId = ctx.crawlId('restart-ops')
        const created = await service.restart(crawlId)
        expect(created).toMatchObject({ status: 'running', seq: 0 })
        await service.increment(crawlId, { processed: 5 }, { operationId: 'page-1' })
        await service.restart(crawlId)
        // The same id is a new call in the new epoch.
        const totals = await service.increment(crawlId, { processed: 1 }, { operationId: 'page-1' })
        expect(totals).toEqual({ discovered: 0, processed: 1, failed: 0 })
      },
      ctx.timeoutMs,
    )
  })

  describe('liveness', () => {
    it(
      'heartbeat: true while running, false once closed, CrawlNotFoundError when gone',
      async () => {
        const service = await ctx.service()
        const crawlId = ctx.crawlId('beat')
        await expect(service.heartbeat(crawlId)).rejects.toBeInstanceOf(CrawlNotFoundError)
        expect(await service.getSnapshot(crawlId)).toBeNull()
        await service.start(crawlId)
        expect(await service.heartbeat(crawlId)).toBe(true)
        await service.complete(crawlId)
        expect(await service.heartbeat(crawlId)).toBe(false)
        expect((await service.getSnapshot(crawlId))?.seq).toBe(1)
      },
      ctx.timeoutMs,
    )

    it(
      'a worker pool that dies: alive while its reporters heartbeat, then failed with code `stalled`, once (lost errors)',
      async () => {
        const service = await ctx.service({ staleAfterMs: STALE_AFTER_MS })
        const crawlId = ctx.crawlId('dies')
        await service.start(crawlId)
        const recorders = [new EnvelopeRecorder(), new EnvelopeRecorder()]
        for (const r of recorders) await service.subscribe(crawlId, r.handler, r.options())
        const pool = [1, 2, 3].map(() =>
          createProgressReporter(service, crawlId, { heartbeatIntervalMs: STALE_AFTER_MS / 4 }),
        )
        for (const reporter of pool) reporter.processed(1)
        // The pool works on slow pages: nothing to report for three stale periods, only beats.
        const quietUntil = Date.now() + STALE_AFTER_MS * 3
        await waitUntil(() => Date.now() >= quietUntil)
        expect(recorders[0]?.terminals).toEqual([])
        expect((await service.getSnapshot(crawlId))?.status).toBe('running')
        // The pool dies: no terminal, no heartbeat, nothing more (close() stops the timers).
        await Promise.all(pool.map((reporter) => reporter.close()))

        for (const r of recorders) await r.waitForTerminal(10_000)
        const snapshot = (await service.getSnapshot(crawlId)) as ProgressSnapshot
        // Three batches of one page each, then the stall.
        expect(snapshot.terminal).toMatchObject({
          type: 'error',
          seq: 4,
          error: { code: 'stalled', retryable: true },
          totals: { discovered: 0, processed: 3, failed: 0 },
        })
        for (const r of recorders) expect(r.terminals).toEqual([snapshot.terminal])
        expect(service.diagnostics()).toMatchObject({ subscriptions: 0 })
      },
      ctx.timeoutMs,
    )

    it(
      'a crawl no worker has claimed (a queued job) is never failed as stalled',
      async () => {
        const service = await ctx.service({ staleAfterMs: STALE_AFTER_MS })
        const crawlId = ctx.crawlId('queued')
        await service.start(crawlId)
        const recorder = new EnvelopeRecorder()
        await service.subscribe(crawlId, recorder.handler, recorder.options())
        // Three stale periods of watch rounds, then an explicit sweep.
        const until = Date.now() + STALE_AFTER_MS * 3
        await waitUntil(() => Date.now() >= until)
        expect((await service.sweepStalled()).stalled).not.toContain(crawlId)
        expect((await service.getSnapshot(crawlId))?.status).toBe('running')
        expect(recorder.terminals).toEqual([])
        // Claimed by its worker's first heartbeat, it is watched from then on.
        await service.heartbeat(crawlId)
        await recorder.waitForTerminal(10_000)
        expect(recorder.terminals[0]).toMatchObject({ seq: 1, error: { code: 'stalled' } })
      },
      ctx.timeoutMs,
    )

    it(
      'a worker that only heartbeats is never taken for dead',
      async () => {
        const service = await ctx.service({ staleAfterMs: STALE_AFTER_MS })
        const crawlId = ctx.crawlId('alive')
        await service.start(crawlId)
        const recorder = new EnvelopeRecorder()
        await service.subscribe(crawlId, recorder.handler, recorder.options())
        // Beats for four stale periods, one every quarter of one; the watch checks meanwhile.
        const beatEveryMs = STALE_AFTER_MS / 4
        const until = Date.now() + STALE_AFTER_MS * 4
        while (Date.now() < until) {
          expect(await service.heartbeat(crawlId)).toBe(true)
          await new Promise((resolve) => setTimeout(resolve, beatEveryMs))
        }
        const swept = await service.sweepStalled()
        expect(swept.stalled).not.toContain(crawlId)
        expect((await service.getSnapshot(crawlId))?.status).toBe('running')
        expect(recorder.terminals).toEqual([])
      },
      ctx.timeoutMs,
    )

    it(
      'sweepStalled() fails a stale crawl nobody watches, exactly once across concurrent sweeps',
      async () => {
        const service = await ctx.service({ staleAfterMs: STALE_AFTER_MS })
        const others = await Promise.all(
          [1, 2, 3].map(() => ctx.service({ staleAfterMs: STALE_AFTER_MS })),
        )
        const stale = ctx.crawlId('unwatched')
        const fresh = ctx.crawlId('fresh')
        await service.start(stale)
        await service.increment(stale, { processed: 1 })
        const startedAt = Date.now()
        await waitUntil(() => Date.now() - startedAt > STALE_AFTER_MS)
        await service.start(fresh)

        const sweeps = await Promise.all([service, ...others].map((s) => s.sweepStalled()))
        const stalled = sweeps.flatMap((sweep) => sweep.stalled)
        // Memory services are separate stores: each sweeps its own; a shared store has one winner.
        expect(stalled.filter((id) => id === stale)).toHaveLength(1)
        expect(stalled).not.toContain(fresh)
        expect((await service.getSnapshot(stale))?.terminal).toMatchObject({
          seq: 2,
          error: { code: 'stalled' },
        })
        expect((await service.getSnapshot(fresh))?.status).toBe('running')
        expect((await service.sweepStalled()).stalled).toEqual([])
      },
      ctx.timeoutMs,
    )

    it(
      'the stall check stops with the last subscriber: no timer left (unbounded throttle map)',
      async () => {
        const service = await ctx.service({ staleAfterMs: STALE_AFTER_MS })
        const crawlId = ctx.crawlId('timers')
        await service.start(crawlId)
        const before = service.diagnostics().timers
        const subscriptions = await Promise.all(
          [1, 2, 3].map(() => service.subscribe(crawlId, () => {})),
        )
        expect(service.diagnostics().timers).toBeGreaterThan(before)
        for (const subscription of subscriptions) await subscription.unsubscribe()
        expect(service.diagnostics()).toMatchObject({ subscriptions: 0, timers: before })
      },
      ctx.timeoutMs,
    )
  })
}

async function waitUntil(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 20))
}
