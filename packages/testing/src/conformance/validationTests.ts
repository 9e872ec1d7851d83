import type { ProgressService } from '@docspasta/progress-core'
import { PROGRESS_LIMITS, ProgressValidationError } from '@docspasta/progress-core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { ConformanceContext } from './context.js'

const { urlsPerDiscovery, urlMaxLength, payloadMaxBytes } = PROGRESS_LIMITS

const badCount = fc.oneof(
  fc.integer({ max: -1 }),
  fc.double({ min: 0.1, max: 1e6, noInteger: true }),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.MAX_SAFE_INTEGER + 2, '1', null),
)

/** Inputs that break the event model or a bound, each in one way. */
export const invalidInputArbitrary: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, undefined, 42, 'progress', [], {}),
  fc.record({
    type: fc.string().filter((t) => !['discovery', 'progress', 'complete', 'error'].includes(t)),
  }),
  fc.constantFrom(
    { type: 'discovery', urls: [] },
    { type: 'discovery', urls: [''] },
    { type: 'discovery', urls: 'https://a' },
    { type: 'discovery', urls: ['https://a', 7] },
    { type: 'discovery', urls: Array.from({ length: urlsPerDiscovery + 1 }, (_, i) => `u${i}`) },
    { type: 'discovery', urls: [`https://a/${'x'.repeat(urlMaxLength)}`] },
    { type: 'discovery', urls: ['https://a'], extra: true },
    { type: 'progress' },
    { type: 'progress', delta: { pages: 1 } },
    { type: 'complete', stats: 'done' },
    { type: 'complete', stats: [1, 2] },
    { type: 'complete', stats: { blob: 'x'.repeat(payloadMaxBytes) } },
    { type: 'error', error: { code: '', message: 'm', retryable: false } },
    { type: 'error', error: { code: 'c', message: 'm' } },
    { type: 'error', error: { code: 'c', message: 'x'.repeat(payloadMaxBytes), retryable: true } },
  ),
  fc
    .record({
      field: fc.constantFrom('processed', 'failed', 'discovered'),
      value: badCount,
    })
    .map(({ field, value }) => ({ type: 'progress', delta: { [field]: value } })),
)

/** Crawl ids outside letters, digits and `_ - . :` or outside 1 to 128 characters. */
export const invalidCrawlIdArbitrary: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom('', 'x'.repeat(129), 'a b', '{a}', 'a/b', 'a\\b', 'a\nb', 'a\u0000b', 'é', 7),
  fc
    .tuple(
      fc.string({ maxLength: 20 }),
      fc.constantFrom(' ', '{', '}', '/', '\r', '\t', '\u007f', '?', '#', '%'),
    )
    .map(([s, bad]) => `${s}${bad}${s}`),
)

/** Runs `run` (which must reject) and checks that it left the crawl and the store as they were. */
export async function expectNothingWritten(
  ctx: ConformanceContext,
  service: ProgressService,
  crawlId: string,
  run: () => Promise<void>,
): Promise<void> {
  const snapshot = await service.getSnapshot(crawlId)
  const stored = await ctx.target.countStored?.()
  const crawls = service.diagnostics().crawls
  await run()
  expect(await service.getSnapshot(crawlId)).toEqual(snapshot)
  expect(await ctx.target.countStored?.()).toBe(stored)
  expect(service.diagnostics().crawls).toBe(crawls)
}

export function registerValidationTests(ctx: ConformanceContext): void {
  describe('input validation', () => {
    it(
      'rejects generated invalid inputs with ProgressValidationError and leaves the crawl unchanged (inconsistent event formats)',
      async () => {
        const service = await ctx.service()
        const crawlId = ctx.crawlId('invalid')
        await service.start(crawlId)
        await service.increment(crawlId, { processed: 1 })
        await expectNothingWritten(ctx, service, crawlId, async () => {
          await fc.assert(
            fc.asyncProperty(invalidInputArbitrary, async (input) => {
              await expect(service.publish(crawlId, input as never)).rejects.toBeInstanceOf(
                ProgressValidationError,
              )
              // One bad input spoils its whole batch.
              await expect(
                service.publishBatch(crawlId, [
                  { type: 'progress', delta: { processed: 1 } },
                  input as never,
                ]),
              ).rejects.toBeInstanceOf(ProgressValidationError)
            }),
            { numRuns: 150 },
          )
        })
      },
      ctx.timeoutMs,
    )

    it(
      'names the offending field',
      async () => {
        const service = await ctx.service()
        const crawlId = ctx.crawlId('field')
        await service.start(crawlId)
        const cases: [unknown, string][] = [
          [{ type: 'discovery', urls: ['ok', ''] }, 'urls.1'],
          [{ type: 'progress', delta: { processed: -1 } }, 'delta.processed'],
          [
            { type: 'error', error: { code: 'c', message: 'm', retryable: 'no' } },
            'error.retryable',
          ],
        ]
        for (const [input, field] of cases) {
          await expect(service.publish(crawlId, input as never)).rejects.toMatchObject({
            code: 'invalid-input',
            field,
          })
        }
        await expect(service.increment(crawlId, { failed: 1.5 })).rejects.toMatchObject({
          field: 'delta.failed',
        })
        await expect(service.complete(crawlId, [] as never)).rejects.toMatchObject({
          field: 'stats',
        })
        await expect(service.subscribe(crawlId, () => {}, { afterSeq: -1 })).rejects.toMatchObject({
          field: 'options.afterSeq',
        })
      },
      ctx.timeoutMs,
    )

    it(
      'rejects invalid crawl ids in every method before any I/O',
      async () => {
        const service = await ctx.service()
        const stored = await ctx.target.countStored?.()
        await fc.assert(
          fc.asyncProperty(invalidCrawlIdArbitrary, async (crawlId) => {
            const id = crawlId as string
            const calls: Promise<unknown>[] = [
              service.start(id),
              service.publish(id, { type: 'progress', delta: { processed: 1 } }),
              service.publishBatch(id, [{ type: 'progress', delta: {} }]),
              service.increment(id, { processed: 1 }),
              service.complete(id, {}),
              service.fail(id, { code: 'c', message: 'm', retryable: false }),
              service.subscribe(id, () => {}),
              service.getSnapshot(id),
              service.cleanup(id),
            ]
            for (const call of calls) {
              await expect(call).rejects.toMatchObject({ code: 'invalid-input', field: 'crawlId' })
            }
          }),
          { numRuns: 60 },
        )
        expect(await ctx.target.countStored?.()).toBe(stored)
        expect(service.diagnostics()).toEqual({ crawls: 0, subscriptions: 0, timers: 0 })
      },
      ctx.timeoutMs,
    )

    it(
      'refuses a call that would take a total past Number.MAX_SAFE_INTEGER: whole, before any write',
      async () => {
        const service = await ctx.service()
        const crawlId = ctx.crawlId('overflow')
        await service.start(crawlId)
        await service.increment(crawlId, { processed: Number.MAX_SAFE_INTEGER - 1 })
        await expectNothingWritten(ctx, service, crawlId, async () => {
          await expect(service.increment(crawlId, { processed: 2 })).rejects.toMatchObject({
            code: 'invalid-input',
            field: 'totals.processed',
          })
          // The first two inputs fit; the third does not: none of them is applied.
          const batch = [
            { type: 'discovery' as const, urls: ['https://a'] },
            { type: 'progress' as const, delta: { processed: 1 } },
            { type: 'progress' as const, delta: { processed: 1, failed: 1 } },
          ]
          await expect(service.publishBatch(crawlId, batch)).rejects.toMatchObject({
            field: 'totals.processed',
          })
          // Each delta is a safe integer; their sum is not.
          const twice = { type: 'progress' as const, delta: { failed: Number.MAX_SAFE_INTEGER } }
          await expect(service.publishBatch(crawlId, [twice, twice])).rejects.toMatchObject({
            field: 'totals.failed',
          })
        })
        const last = await service.increment(crawlId, { processed: 1 })
        expect(last.processed).toBe(Number.MAX_SAFE_INTEGER)
        expect((await service.getSnapshot(crawlId))?.seq).toBe(2)
      },
      ctx.timeoutMs,
    )

    it(
      'bounds one envelope and one call in bytes, before any write',
      async () => {
        const service = await ctx.service()
        const crawlId = ctx.crawlId('bytes')
        await service.start(crawlId)
        // 100 urls of 1,000 characters: within the count and length limits, over 64 KiB of JSON.
        const urls = (n: number, length: number) =>
          Array.from({ length: n }, (_, i) => `https://a/${i}-`.padEnd(length, 'x'))
        const heavy = (n: number) =>
          Array.from({ length: n }, () => ({ type: 'discovery' as const, urls: urls(60, 1_000) }))
        await expectNothingWritten(ctx, service, crawlId, async () => {
          await expect(
            service.publish(crawlId, { type: 'discovery', urls: urls(100, 1_000) }),
          ).rejects.toMatchObject({ code: 'invalid-input', field: 'urls' })
          await expect(
            service.publishBatch(crawlId, [
              { type: 'progress', delta: {} },
              { type: 'discovery', urls: urls(100, 1_000) },
            ]),
          ).rejects.toMatchObject({ field: 'inputs.1.urls' })
          // 20 inputs of ~60 KiB each: every envelope fits, the call (~1.2 MiB) does not.
          await expect(service.publishBatch(crawlId, heavy(20))).rejects.toMatchObject({
            field: 'inputs',
          })
        })
        // Fewer of them in one call stay within the limit.
        expect(await service.publishBatch(crawlId, heavy(16))).toHaveLength(16)
        expect((await service.getSnapshot(crawlId))?.totals.discovered).toBe(16 * 60)
      },
      ctx.timeoutMs,
    )

    it(
      'rejects a handler or onError that is not a function before subscribing',
      async () => {
        const service = await ctx.service()
        const crawlId = ctx.crawlId('handler')
        await service.start(crawlId)
        await expect(service.subscribe(crawlId, 42 as never)).rejects.toMatchObject({
          code: 'invalid-input',
          field: 'handler',
        })
        await expect(
          service.subscribe(crawlId, () => {}, { onError: 'log' as never }),
        ).rejects.toMatchObject({ field: 'options.onError' })
        expect(service.diagnostics().subscriptions).toBe(0)
        // Nothing is left to fail later: the crawl goes on and ends normally.
        await service.increment(crawlId, { processed: 1 })
        expect(await service.complete(crawlId)).toBe(true)
      },
      ctx.timeoutMs,
    )

    it(
      'accepts inputs exactly at the bounds',
      async () => {
        const service = await ctx.service()
        const crawlId = ctx.crawlId('bounds')
        await service.start(crawlId)
        const urls = Array.from({ length: urlsPerDiscovery }, (_, i) => `https://a/${i}`)
        const many = await service.publish(crawlId, { type: 'discovery', urls })
        expect(many.totals.discovered).toBe(urlsPerDiscovery)
        const long = await service.publish(crawlId, {
          type: 'discovery',
          urls: [`https://a/${'x'.repeat(urlMaxLength - 10)}`],
        })
        expect(long.seq).toBe(2)
        const big = await service.increment(crawlId, { processed: Number.MAX_SAFE_INTEGER })
        expect(big.processed).toBe(Number.MAX_SAFE_INTEGER)
        // {"blob":"…"} is 11 bytes of JSON around the string.
        const stats = { blob: 'x'.repeat(payloadMaxBytes - 11) }
        expect(await service.complete(crawlId, stats)).toBe(true)
        const snapshot = await service.getSnapshot(crawlId)
        expect(snapshot?.terminal?.type === 'complete' && snapshot.terminal.stats).toEqual(stats)
        const longestId = `${crawlId}-`.padEnd(PROGRESS_LIMITS.crawlIdMaxLength, 'z')
        expect((await service.start(longestId)).seq).toBe(0)
        expect(await service.cleanup(longestId)).toBe(true)
      },
      ctx.timeoutMs,
    )
  })
}
