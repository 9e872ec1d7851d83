import { describe, expect, it } from 'vitest'
import { SseTestClient } from './sseTestClient.js'
import type { StreamContext } from './streamContext.js'

/** What the worker side does to open streams: restart, stall, expiry. */
export function registerStreamWorkerTests(ctx: StreamContext): void {
  describe('worker lifecycle seen over HTTP', () => {
    it('a restart reaches an open stream as a resync snapshot of the new epoch, then its events, with no error', async () => {
      const { service, harness } = await ctx.serve()
      const crawlId = ctx.crawlId('restart')
      const { epoch: old } = await service.start(crawlId)
      await service.increment(crawlId, { processed: 2, discovered: 4 })
      const client = new SseTestClient(harness.url(crawlId))
      await client.waitFor(() => client.envelopes.at(-1)?.totals.processed === 2)

      const { epoch } = await service.restart(crawlId)
      await client.waitFor(() => client.envelopes.at(-1)?.epoch === epoch)
      expect(client.envelopes.at(-1)).toMatchObject({
        type: 'snapshot',
        resync: true,
        seq: 0,
        totals: { discovered: 0, processed: 0, failed: 0 },
      })
      await service.increment(crawlId, { processed: 1 })
      await service.complete(crawlId)
      await client.ended
      expect(client.status).toBe(200)
      const fresh = client.envelopes.filter((envelope) => envelope.epoch === epoch)
      expect(fresh.map((e) => [e.type, e.seq])).toEqual([
        ['snapshot', 0],
        ['progress', 1],
        ['complete', 2],
      ])
      expect(client.envelopes.filter((e) => e.epoch !== epoch).every((e) => e.epoch === old)).toBe(
        true,
      )
    })

    it('a crawl whose workers died reaches its open streams as a `stalled` error, and they end (lost errors)', async () => {
      const { service, harness } = await ctx.serve({}, { staleAfterMs: 400 })
      const crawlId = ctx.crawlId('stalled')
      await service.start(crawlId)
      await service.increment(crawlId, { processed: 1 })
      const clients = [1, 2].map(() => new SseTestClient(harness.url(crawlId)))
      for (const client of clients) {
        await client.ended
        expect(client.envelopes.at(-1)).toMatchObject({
          type: 'error',
          error: { code: 'stalled', retryable: true },
        })
        expect(client.envelopes.filter((e) => e.type === 'error')).toHaveLength(1)
      }
      expect(harness.streams.diagnostics().connections).toBe(0)
    })

    it('a crawl that expires while streamed ends its streams; the reconnect is told crawl-not-found', async () => {
      // Expiry is noticed at the next liveness check: a quarter of staleAfterMs here.
      const { service, harness } = await ctx.serve({}, { idleTtlSeconds: 1, staleAfterMs: 2_000 })
      const crawlId = ctx.crawlId('expires')
      await service.start(crawlId)
      const client = new SseTestClient(harness.url(crawlId))
      await client.waitFor(() => client.envelopes.length === 1)
      await client.ended
      expect(client.envelopes.map((e) => e.type)).toEqual(['snapshot'])

      const again = new SseTestClient(harness.url(crawlId), {
        'Last-Event-ID': client.lastId ?? '',
      })
      await again.ended
      expect(again.status).toBe(404)
      expect(JSON.parse(again.body)).toMatchObject({ error: { code: 'crawl-not-found' } })
      expect(harness.streams.diagnostics().connections).toBe(0)
    })
  })
}
