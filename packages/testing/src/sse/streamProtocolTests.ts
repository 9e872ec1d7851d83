import { createProgressStream, formatPosition } from '@docspasta/progress-core'
import { describe, expect, it } from 'vitest'
import { SseTestClient } from './sseTestClient.js'
import type { StreamContext } from './streamContext.js'

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i)

export function registerStreamProtocolTests(ctx: StreamContext): void {
  describe('SSE protocol over HTTP', () => {
    it('sends the SSE headers, retry first, a snapshot, live envelopes, and ends after the terminal', async () => {
      const { service, harness } = await ctx.serve({ retryMs: 1234 })
      const crawlId = ctx.crawlId('basic')
      const { epoch } = await service.start(crawlId)
      await service.increment(crawlId, { processed: 2 })
      const client = new SseTestClient(harness.url(crawlId))
      await client.waitFor(() => client.envelopes.length >= 1)
      expect(client.status).toBe(200)
      expect(client.headers['content-type']).toBe('text/event-stream; charset=utf-8')
      expect(client.headers['cache-control']).toBe('no-cache, no-transform')
      expect(client.headers['x-accel-buffering']).toBe('no')
      expect(client.retry).toBe(1234)
      expect(client.envelopes[0]).toMatchObject({
        type: 'snapshot',
        seq: 1,
        epoch,
        totals: { processed: 2 },
      })

      await service.publish(crawlId, { type: 'discovery', urls: ['https://a'] })
      await service.complete(crawlId, { pages: 2 })
      await client.ended
      expect(client.envelopes.map((e) => [e.type, e.seq])).toEqual([
        ['snapshot', 1],
        ['discovery', 2],
        ['complete', 3],
      ])
      // Each id is the envelope's position, tag included: what Last-Event-ID sends back.
      expect(client.ids).toEqual(
        client.envelopes.map((e) => `${epoch}:${e.seq}:${e.tag as string}`),
      )
      expect(client.envelopes.every((e) => /^[a-z0-9]{1,16}$/.test(e.tag as string))).toBe(true)
      expect(harness.streams.diagnostics()).toEqual({
        connections: 0,
        timers: 0,
        queuedBytes: 0,
        released: { unread: 0, overflow: 0 },
      })
    })

    it('resumes dropped connections with Last-Event-ID (header, then query) and yields every seq exactly once (polling fallback)', async () => {
      // A generous queue: this test is about resume, so nothing may be coalesced.
      const { service, harness } = await ctx.serve({ queueSoftLimitBytes: 64 * 1024 * 1024 })
      const crawlId = ctx.crawlId('resume')
      await service.start(crawlId)
      // Paced publishers, so that every connection below is opened and dropped mid-stream.
      let publishing = true
      const publishers = Promise.all(
        range(1, 3).map(async () => {
          while (publishing) {
            await service.increment(crawlId, { processed: 1 })
            await new Promise((resolve) => setTimeout(resolve, 2))
          }
        }),
      )
      const first = new SseTestClient(harness.url(crawlId))
      await first.waitFor(() => first.envelopes.length >= 50)
      first.close()
      const second = new SseTestClient(harness.url(crawlId), {
        'Last-Event-ID': first.lastId as string,
      })
      await second.waitFor(() => second.envelopes.length >= 100)
      second.close()
      const third = new SseTestClient(
        `${harness.url(crawlId)}?lastEventId=${encodeURIComponent(second.lastId as string)}`,
      )
      await third.waitFor(() => third.envelopes.length >= 50)
      publishing = false
      await publishers
      await service.complete(crawlId)
      await third.ended

      const last = (await service.getSnapshot(crawlId))?.seq as number
      const all = [first, second, third].flatMap((client) => client.envelopes)
      expect(all[0]?.type).toBe('snapshot')
      const seqs = all.filter((e) => e.type !== 'snapshot').map((e) => e.seq)
      expect(seqs).toEqual(range((all[0]?.seq as number) + 1, last))
      expect(second.envelopes[0]?.type).not.toBe('snapshot')
      expect(third.envelopes[0]?.type).not.toBe('snapshot')
      expect(third.envelopes.at(-1)).toMatchObject({
        type: 'complete',
        totals: { processed: last - 1 },
      })
    })

    it('sends heartbeat comments on an idle stream', async () => {
      const { service, harness } = await ctx.serve({ heartbeatMs: 40 })
      const crawlId = ctx.crawlId('heartbeat')
      await service.start(crawlId)
      const client = new SseTestClient(harness.url(crawlId))
      await client.waitFor(() => client.comments >= 3)
      expect(client.envelopes.map((e) => e.type)).toEqual(['snapshot'])
      client.close()
    })

    it('ends the streams of a crawl that is cleaned up without reporting an error, then answers 404', async () => {
      const errors: unknown[] = []
      const { service, harness } = await ctx.serve({ onError: (error) => errors.push(error) })
      const crawlId = ctx.crawlId('cleaned')
      await service.start(crawlId)
      const clients = [0, 1, 2].map(() => new SseTestClient(harness.url(crawlId)))
      for (const client of clients) await client.waitFor(() => client.envelopes.length > 0)
      await service.cleanup(crawlId)
      for (const client of clients) await client.ended
      // Cleaning up a followed crawl is normal operation: nothing for the server's log.
      expect(errors).toEqual([])
      const again = new SseTestClient(harness.url(crawlId), {
        'Last-Event-ID': clients[0]?.lastId as string,
      })
      await again.ended
      expect(again.status).toBe(404)
      expect(harness.streams.diagnostics().connections).toBe(0)
    })

    it('gives a connection to a finished crawl its snapshot and terminal envelope, then ends', async () => {
      const { service, harness } = await ctx.serve()
      const crawlId = ctx.crawlId('finished')
      await service.start(crawlId)
      await service.increment(crawlId, { processed: 1 })
      await service.fail(crawlId, { code: 'boom', message: 'down', retryable: false })
      const client = new SseTestClient(harness.url(crawlId))
      await client.ended
      expect(client.envelopes.map((e) => [e.type, e.seq])).toEqual([
        ['snapshot', 1],
        ['error', 2],
      ])
      // A client that already holds the terminal envelope gets 204, which stops an EventSource.
      const done = new SseTestClient(harness.url(crawlId), {
        'Last-Event-ID': client.lastId as string,
      })
      await done.ended
      expect(done.status).toBe(204)
      expect(done.envelopes).toEqual([])
      expect(harness.streams.diagnostics().connections).toBe(0)
    })

    it('replays the terminal through createProgressStream to a client that holds it, instead of an empty stream', async () => {
      const { service } = await ctx.serve()
      const crawlId = ctx.crawlId('replayed-terminal')
      await service.start(crawlId)
      await service.increment(crawlId, { processed: 1 })
      await service.complete(crawlId, { pages: 1 })
      const snapshot = await service.getSnapshot(crawlId)
      const terminalId = formatPosition(snapshot as NonNullable<typeof snapshot>)
      const body = await new Response(
        await createProgressStream(service, crawlId, { lastEventId: terminalId }),
      ).text()
      const messages = body.split('\n\n').filter((block) => block.startsWith('id: '))
      expect(messages).toHaveLength(1)
      expect(messages[0]).toContain(`id: ${terminalId}\ndata: `)
      expect(messages[0]).toContain('"type":"complete"')
      expect(service.diagnostics().subscriptions).toBe(0)
    })

    it('answers another epoch or a malformed Last-Event-ID with a snapshot', async () => {
      const { service, harness } = await ctx.serve()
      const crawlId = ctx.crawlId('epoch')
      const { epoch } = await service.start(crawlId)
      await service.increment(crawlId, { processed: 1 })
      const other = new SseTestClient(harness.url(crawlId), {
        'Last-Event-ID': `${epoch === 'aaaa' ? 'bbbb' : 'aaaa'}:1`,
      })
      const malformed = new SseTestClient(harness.url(crawlId), { 'Last-Event-ID': 'not an id:x' })
      for (const client of [other, malformed])
        await client.waitFor(() => client.envelopes.length > 0)
      expect(other.envelopes[0]).toMatchObject({ type: 'snapshot', resync: true, seq: 1, epoch })
      expect(malformed.envelopes[0]).toMatchObject({ type: 'snapshot', seq: 1, epoch })
      expect(malformed.envelopes[0]).not.toHaveProperty('resync')
      other.close()
      malformed.close()
    })
  })
}
