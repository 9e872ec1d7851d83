import {
  type EventEnvelope,
  PROGRESS_LIMITS,
  type ProgressDetail,
  type ProgressEnvelope,
  type ProgressInput,
  ProgressValidationError,
} from '@docspasta/progress-core'
import { describe, expect, it } from 'vitest'
import { EnvelopeRecorder } from '../envelopeRecorder.js'
import type { ConformanceContext } from './context.js'
import { expectNothingWritten } from './validationTests.js'

const { urlMaxLength, detailMessageMaxLength, detailPhaseMaxLength } = PROGRESS_LIMITS

const progress = (processed: number, detail?: ProgressDetail): ProgressInput =>
  detail === undefined
    ? { type: 'progress', delta: { processed } }
    : { type: 'progress', delta: { processed }, detail }

/**
 * Details that JSON must carry exactly: every field, non-ASCII text, characters JSON escapes,
 * a lone surrogate, and each field at its longest. Fields in schema order (url, outcome, message,
 * phase), the order a validated input has them in.
 */
const DETAILS: ProgressDetail[] = [
  {
    url: 'https://a.test/ü/😀?q="1"&r=\\x\ud83d',
    outcome: 'processed',
    message: 'HTTP 200 — ok ✓ 漢字',
    phase: 'fetch',
  },
  {
    outcome: 'failed',
    // Exactly the longest message: one code unit (and one code point) per character.
    message: '"\\\n\t\u0000\u2028é—<>'.repeat(detailMessageMaxLength / 10),
  },
  { phase: 'ф'.repeat(detailPhaseMaxLength) },
  { url: `https://a.test/${'x'.repeat(urlMaxLength - 15)}`, outcome: 'skipped', message: '' },
]

/** The non-snapshot envelopes a recorder holds, in arrival order. */
const events = (recorder: EnvelopeRecorder) =>
  recorder.envelopes.filter((e) => e.type !== 'snapshot')

/** Each envelope's detail as JSON, undefined for one without: byte for byte what was sent. */
const detailJson = (envelopes: readonly ProgressEnvelope[]) =>
  envelopes.map((e) => (e.type === 'progress' && e.detail ? JSON.stringify(e.detail) : undefined))

export function registerDetailTests(ctx: ConformanceContext): void {
  describe('progress details', () => {
    it(
      'carries each detail byte-exact into the returned envelopes, live subscribers and replay',
      async () => {
        const service = await ctx.service()
        const crawlId = ctx.crawlId('detail')
        const { epoch } = await service.start(crawlId)
        const live = new EnvelopeRecorder()
        await service.subscribe(crawlId, live.handler, live.options({ afterSeq: 0, epoch }))

        const [first, second, third, fourth] = DETAILS as [
          ProgressDetail,
          ProgressDetail,
          ProgressDetail,
          ProgressDetail,
        ]
        const published: EventEnvelope[] = [await service.publish(crawlId, progress(1, first))]
        published.push(
          ...(await service.publishBatch(crawlId, [
            progress(1),
            progress(1, second),
            { type: 'discovery', urls: ['https://a.test/2'] },
            progress(0, third),
            progress(1, fourth),
          ])),
        )
        // A detail belongs to its own envelope: none after a call that had one.
        published.push(await service.publish(crawlId, progress(2)))
        const expected = [first, undefined, second, undefined, third, fourth, undefined]
        const expectedJson = expected.map((d) => (d === undefined ? undefined : JSON.stringify(d)))

        expect(published.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7])
        expect(detailJson(published)).toEqual(expectedJson)
        published.forEach((envelope, index) => {
          if (expected[index] === undefined) expect(envelope).not.toHaveProperty('detail')
          else expect(envelope).toMatchObject({ type: 'progress', detail: expected[index] })
        })
        expect(published.at(-1)?.totals).toEqual({ discovered: 1, processed: 6, failed: 0 })

        await live.waitForSeq(7)
        expect(events(live)).toEqual(published)
        expect(detailJson(events(live))).toEqual(expectedJson)

        // Replay from history, from the start and from the middle of the batch.
        for (const afterSeq of [0, 3]) {
          const replay = new EnvelopeRecorder()
          await service.subscribe(crawlId, replay.handler, replay.options({ afterSeq, epoch }))
          await replay.waitForSeq(7)
          expect(events(replay)).toEqual(published.slice(afterSeq))
          expect(detailJson(events(replay))).toEqual(expectedJson.slice(afterSeq))
        }
        // The detail is the envelope's, not the crawl's state.
        const snapshot = await service.getSnapshot(crawlId)
        expect(snapshot).toMatchObject({ seq: 7 })
        expect(snapshot).not.toHaveProperty('detail')
      },
      ctx.timeoutMs,
    )

    it(
      'answers a repeated operation id with the original details',
      async () => {
        const service = await ctx.service()
        const crawlId = ctx.crawlId('detail-op')
        await service.start(crawlId)
        const detail: ProgressDetail = { url: 'https://a.test/1', outcome: 'processed' }
        const first = await service.publish(crawlId, progress(1, detail), { operationId: 'page-1' })
        const again = await service.publish(
          crawlId,
          progress(1, { url: 'https://a.test/other', outcome: 'failed' }),
          { operationId: 'page-1' },
        )
        expect(again).toEqual(first)
        expect(again).toMatchObject({ seq: 1, detail })
        const batch = [progress(1, { phase: 'fetch' }), progress(1, { message: 'm' })]
        const applied = await service.publishBatch(crawlId, batch, { operationId: 'batch-1' })
        expect(
          await service.publishBatch(crawlId, [progress(1)], { operationId: 'batch-1' }),
        ).toEqual(applied)
        expect(detailJson(applied)).toEqual(['{"phase":"fetch"}', '{"message":"m"}'])
      },
      ctx.timeoutMs,
    )

    it(
      'keeps the latest phase in the state: a late subscriber’s snapshot names it, a restart clears it',
      async () => {
        const service = await ctx.service()
        const crawlId = ctx.crawlId('detail-phase')
        await service.start(crawlId)
        await service.publishBatch(crawlId, [
          progress(1, { phase: 'fetch' }),
          progress(1, { phase: 'render' }),
          progress(1, { url: 'https://a.test/1' }),
        ])
        expect((await service.getSnapshot(crawlId))?.phase).toBe('render')
        const late = new EnvelopeRecorder()
        await service.subscribe(crawlId, late.handler, late.options())
        expect(late.envelopes[0]).toMatchObject({ type: 'snapshot', seq: 3, phase: 'render' })

        await service.complete(crawlId)
        const afterEnd = new EnvelopeRecorder()
        await service.subscribe(crawlId, afterEnd.handler, afterEnd.options())
        await afterEnd.waitForTerminal()
        expect(afterEnd.envelopes[0]).toMatchObject({ type: 'snapshot', phase: 'render' })

        const fresh = await service.restart(crawlId)
        expect(fresh.phase).toBeUndefined()
        const again = new EnvelopeRecorder()
        await service.subscribe(crawlId, again.handler, again.options())
        expect(again.envelopes[0]).toMatchObject({ type: 'snapshot', seq: 0 })
        expect(again.envelopes[0]).not.toHaveProperty('phase')
      },
      ctx.timeoutMs,
    )

    it(
      'rejects an invalid detail with ProgressValidationError naming the field, and writes nothing',
      async () => {
        const service = await ctx.service()
        const crawlId = ctx.crawlId('detail-invalid')
        const { epoch } = await service.start(crawlId)
        await service.publish(crawlId, progress(1, { phase: 'fetch' }))
        const live = new EnvelopeRecorder()
        await service.subscribe(crawlId, live.handler, live.options({ afterSeq: 1, epoch }))
        const cases: [unknown, string][] = [
          [{ url: '' }, 'detail.url'],
          [{ url: 'x'.repeat(urlMaxLength + 1) }, 'detail.url'],
          [{ outcome: 'done' }, 'detail.outcome'],
          [{ message: 'x'.repeat(detailMessageMaxLength + 1) }, 'detail.message'],
          [{ message: 42 }, 'detail.message'],
          [{ phase: '' }, 'detail.phase'],
          [{ phase: 'p'.repeat(detailPhaseMaxLength + 1) }, 'detail.phase'],
          [{ url: 'https://a.test/1', status: 200 }, 'detail'],
          [null, 'detail'],
          ['https://a.test/1', 'detail'],
        ]
        await expectNothingWritten(ctx, service, crawlId, async () => {
          for (const [detail, field] of cases) {
            const input = { type: 'progress', delta: { processed: 1 }, detail } as never
            const error = await service.publish(crawlId, input).catch((e: unknown) => e)
            expect(error).toBeInstanceOf(ProgressValidationError)
            expect(error).toMatchObject({ code: 'invalid-input', field })
            // One bad detail spoils its whole batch.
            await expect(
              service.publishBatch(crawlId, [progress(1, { url: 'https://a.test/ok' }), input]),
            ).rejects.toMatchObject({ code: 'invalid-input', field: `inputs.1.${field}` })
          }
        })
        // Nothing reached the subscriber; the next valid call gets the next seq.
        const next = await service.publish(crawlId, progress(1, { outcome: 'failed' }))
        expect(next).toMatchObject({ seq: 2, detail: { outcome: 'failed' } })
        await live.waitForSeq(2)
        expect(events(live).map((e) => e.seq)).toEqual([2])
      },
      ctx.timeoutMs,
    )
  })
}
