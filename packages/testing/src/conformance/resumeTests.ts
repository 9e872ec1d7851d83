import type { ProgressInput } from '@docspasta/progress-core'
import { describe, expect, it } from 'vitest'
import { EnvelopeRecorder } from '../envelopeRecorder.js'
import type { ConformanceContext } from './context.js'

const range = (from: number, to: number) =>
  Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i)

const progress = (processed = 1): ProgressInput => ({ type: 'progress', delta: { processed } })

export function registerResumeTests(ctx: ConformanceContext): void {
  describe('subscribe and resume', () => {
    it(
      'starts a fresh subscription with a snapshot, then live envelopes',
      async () => {
        const service = await ctx.service()
        const crawlId = ctx.crawlId('fresh')
        const { epoch } = await service.start(crawlId)
        await service.publishBatch(crawlId, [progress(2), progress(3)])
        const r = new EnvelopeRecorder()
        await service.subscribe(crawlId, r.handler, r.options())
        await service.increment(crawlId, { failed: 1 })
        await r.waitForSeq(3)
        expect(r.envelopes[0]).toMatchObject({
          v: 1,
          type: 'snapshot',
          epoch,
          seq: 2,
          crawlId,
          status: 'running',
          totals: { discovered: 0, processed: 5, failed: 0 },
        })
        expect(r.envelopes[0]).not.toHaveProperty('resync')
        expect(r.envelopes.slice(1)).toMatchObject([
          { type: 'progress', seq: 3, totals: { processed: 5, failed: 1 } },
        ])
      },
      ctx.timeoutMs,
    )

    it(
      'replays exactly the missing envelopes after afterSeq, then continues live',
      async () => {
        const service = await ctx.service()
        const crawlId = ctx.crawlId('replay')
        const { epoch } = await service.start(crawlId)
        await service.publishBatch(
          crawlId,
          range(1, 10).map(() => progress()),
        )
        const r = new EnvelopeRecorder()
        await service.subscribe(crawlId, r.handler, r.options({ afterSeq: 4, epoch }))
        await service.publishBatch(
          crawlId,
          range(11, 15).map(() => progress()),
        )
        await r.waitForSeq(15)
        expect(r.envelopes.map((e) => e.seq)).toEqual(range(5, 15))
        expect(r.envelopes[0]?.totals.processed).toBe(5)
      },
      ctx.timeoutMs,
    )

    it(
      'resumes without duplicate or gap while publishers are running',
      async () => {
        const service = await ctx.service()
        const crawlId = ctx.crawlId('live-resume')
        await service.start(crawlId)
        const reference = new EnvelopeRecorder()
        await service.subscribe(crawlId, reference.handler, reference.options())

        const publishers = Promise.all(
          range(1, 5).map(async () => {
            for (let i = 0; i < 60; i++) await service.increment(crawlId, { processed: 1 })
          }),
        )
        const resumed: EnvelopeRecorder[] = []
        for (const lag of [0, 3, 17, 40]) {
          await reference.waitForSeq(lag + 20 * (resumed.length + 1))
          const r = new EnvelopeRecorder()
          const afterSeq = Math.max(0, reference.lastSeq - lag)
          await service.subscribe(
            crawlId,
            r.handler,
            r.options({ afterSeq, epoch: reference.envelopes[0]?.epoch }),
          )
          resumed.push(r)
          if (resumed.length === 1) {
            // One subscriber resumes from the very beginning while events keep arriving.
            const full = new EnvelopeRecorder()
            await service.subscribe(crawlId, full.handler, full.options({ afterSeq: 0 }))
            resumed.push(full)
          }
        }
        await publishers
        await service.complete(crawlId)
        const total = 5 * 60 + 1
        await reference.waitForTerminal()
        for (const r of resumed) {
          await r.waitForTerminal()
          const first = r.seqs[0] ?? 0
          expect(r.seqs).toEqual(range(first, total))
          expect(r.envelopes.filter((e) => e.type === 'snapshot')).toEqual([])
          const expected = reference.envelopes.filter(
            (e) => e.type !== 'snapshot' && e.seq >= first,
          )
          expect(r.envelopes).toEqual(expected)
        }
      },
      ctx.timeoutMs,
    )

    it(
      'answers a resume point older than history with a resync snapshot, then live',
      async () => {
        const historyLimit = 10
        const service = await ctx.service({ historyLimit })
        const crawlId = ctx.crawlId('resync')
        const { epoch } = await service.start(crawlId)
        // Far beyond the limit.
        for (let batch = 0; batch < 10; batch++) {
          await service.publishBatch(
            crawlId,
            range(1, 100).map(() => progress()),
          )
        }
        const r = new EnvelopeRecorder()
        await service.subscribe(crawlId, r.handler, r.options({ afterSeq: 1, epoch }))
        await service.increment(crawlId, { processed: 1 })
        await r.waitForSeq(1001)
        expect(r.envelopes).toMatchObject([
          { type: 'snapshot', resync: true, seq: 1000, totals: { processed: 1000 } },
          { type: 'progress', seq: 1001, totals: { processed: 1001 } },
        ])
        expect(r.envelopes).toHaveLength(2)
      },
      ctx.timeoutMs,
    )

    it(
      'answers another epoch or a position ahead of the crawl with a resync snapshot',
      async () => {
        const service = await ctx.service()
        const crawlId = ctx.crawlId('epoch')
        const { epoch } = await service.start(crawlId)
        await service.publishBatch(crawlId, [progress(), progress()])
        const otherEpoch = new EnvelopeRecorder()
        await service.subscribe(
          crawlId,
          otherEpoch.handler,
          otherEpoch.options({ afterSeq: 1, epoch: epoch === 'zzzz' ? 'yyyy' : 'zzzz' }),
        )
        const ahead = new EnvelopeRecorder()
        await service.subscribe(crawlId, ahead.handler, ahead.options({ afterSeq: 99, epoch }))
        await service.increment(crawlId, { processed: 1 })
        for (const r of [otherEpoch, ahead]) {
          await r.waitForSeq(3)
          expect(r.envelopes).toMatchObject([
            { type: 'snapshot', resync: true, seq: 2, epoch },
            { type: 'progress', seq: 3 },
          ])
        }
      },
      ctx.timeoutMs,
    )

    it(
      'checks a tagged position against the stored event: another tag gets a resync snapshot',
      async () => {
        const service = await ctx.service()
        const crawlId = ctx.crawlId('tag')
        const { epoch } = await service.start(crawlId)
        const [, second] = await service.publishBatch(crawlId, [progress(), progress()])
        const third = await service.publish(crawlId, progress())
        const tag = second?.tag as string
        expect(tag).toMatch(/^[a-z0-9]{1,16}$/)
        expect(third.tag).not.toBe(tag)

        const matching = new EnvelopeRecorder()
        await service.subscribe(
          crawlId,
          matching.handler,
          matching.options({ afterSeq: 2, epoch, tag }),
        )
        const untagged = new EnvelopeRecorder()
        await service.subscribe(crawlId, untagged.handler, untagged.options({ afterSeq: 2, epoch }))
        // What a client holds after the store lost seq 2 and gave it to another event.
        const other = new EnvelopeRecorder()
        const otherTag = tag === 'aaaaaaaaaa' ? 'bbbbbbbbbb' : 'aaaaaaaaaa'
        await service.subscribe(
          crawlId,
          other.handler,
          other.options({ afterSeq: 2, epoch, tag: otherTag }),
        )
        await service.increment(crawlId, { processed: 1 })
        for (const r of [matching, untagged, other]) await r.waitForSeq(4)
        expect(matching.envelopes.map((e) => [e.type, e.seq])).toEqual([
          ['progress', 3],
          ['progress', 4],
        ])
        expect(untagged.envelopes).toEqual(matching.envelopes)
        expect(other.envelopes).toMatchObject([
          { type: 'snapshot', resync: true, seq: 3, tag: third.tag, totals: { processed: 3 } },
          { type: 'progress', seq: 4 },
        ])
      },
      ctx.timeoutMs,
    )

    it(
      'bounds history in bytes: a position beyond historyMaxBytes gets a resync snapshot',
      async () => {
        const historyMaxBytes = 1024 * 1024
        const service = await ctx.service({ historyMaxBytes })
        const crawlId = ctx.crawlId('history-bytes')
        const { epoch } = await service.start(crawlId)
        const urls = Array.from({ length: 60 }, (_, i) => `https://a/${i}-`.padEnd(1_000, 'x'))
        // 40 envelopes of ~60 KiB: about 2.4 MiB, of which history keeps at most 1 MiB.
        for (let i = 0; i < 40; i++) await service.publish(crawlId, { type: 'discovery', urls })
        const old = new EnvelopeRecorder()
        await service.subscribe(crawlId, old.handler, old.options({ afterSeq: 5, epoch }))
        const recent = new EnvelopeRecorder()
        await service.subscribe(crawlId, recent.handler, recent.options({ afterSeq: 36, epoch }))
        await service.increment(crawlId, { processed: 1 })
        await old.waitForSeq(41)
        await recent.waitForSeq(41)
        expect(old.envelopes.map((e) => [e.type, e.seq])).toEqual([
          ['snapshot', 40],
          ['progress', 41],
        ])
        expect(recent.seqs).toEqual([37, 38, 39, 40, 41])
      },
      ctx.timeoutMs,
    )

    it(
      'delivers nothing after unsubscribe()',
      async () => {
        const service = await ctx.service()
        const crawlId = ctx.crawlId('unsub')
        await service.start(crawlId)
        const gone = new EnvelopeRecorder()
        const stays = new EnvelopeRecorder()
        const subscription = await service.subscribe(crawlId, gone.handler, gone.options())
        await service.subscribe(crawlId, stays.handler, stays.options())
        await service.increment(crawlId, { processed: 1 })
        await gone.waitForSeq(1)
        await subscription.unsubscribe()
        expect(subscription.closed).toBe(true)
        expect(service.diagnostics().subscriptions).toBe(1)
        await service.increment(crawlId, { processed: 1 })
        await stays.waitForSeq(2)
        expect(gone.seqs).toEqual([1])
        expect(gone.errors).toEqual([])
      },
      ctx.timeoutMs,
    )
  })
}
