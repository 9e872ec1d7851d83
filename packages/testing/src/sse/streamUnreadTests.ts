import { describe, expect, it, vi } from 'vitest'
import { abortRandomlyWhilePublishing } from './randomAborts.js'
import { SseTestClient } from './sseTestClient.js'
import type { StreamContext } from './streamContext.js'
import { expectStreamsSettled } from './streamsSettled.js'

export function registerStreamUnreadTests(ctx: StreamContext): void {
  describe('SSE responses nobody reads', () => {
    it('answers HEAD with the stream headers and no body, opening nothing, and other methods with 405', async () => {
      const { service, harness } = await ctx.serve({ maxConnections: 3 })
      const crawlId = ctx.crawlId('head')
      await service.start(crawlId)
      const url = harness.url(crawlId)

      for (let i = 0; i < 10; i++) {
        const head = await fetch(url, { method: 'HEAD' })
        expect(head.status).toBe(200)
        expect(head.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
        expect(await head.text()).toBe('')
        // As Next.js and Hono answer HEAD: the GET handler's Response, its body dropped unread.
        const web = await harness.streams.handle(new Request(url, { method: 'HEAD' }))
        expect(web.status).toBe(200)
        expect(web.body).toBeNull()
      }
      expect(harness.streams.diagnostics()).toMatchObject({ connections: 0, timers: 0 })
      expect(service.diagnostics().subscriptions).toBe(0)
      expect((await fetch(url.replace(crawlId, 'bad%20id'), { method: 'HEAD' })).status).toBe(400)

      for (const method of ['OPTIONS', 'POST', 'PUT', 'DELETE', 'PATCH']) {
        const refused = await fetch(url, { method })
        expect(refused.status).toBe(405)
        expect(refused.headers.get('allow')).toBe('GET, HEAD')
        expect(await refused.json()).toMatchObject({ error: { code: 'method-not-allowed' } })
      }
      expect(service.diagnostics().subscriptions).toBe(0)

      // Not one slot went to a HEAD: three streams still fit under maxConnections: 3.
      const clients = [0, 1, 2].map(() => new SseTestClient(url))
      for (const client of clients) await client.waitFor(() => client.envelopes.length > 0)
      expect(clients.map((client) => client.status)).toEqual([200, 200, 200])
      for (const client of clients) client.close()
      await expectStreamsSettled(harness.streams, service)
    })

    it('releases GET responses dropped unread once their terminal envelope waits, so the cap is never exhausted', async () => {
      const { service, harness } = await ctx.serve({ maxConnections: 5, unreadTimeoutMs: 200 })
      const crawlIds = [0, 1, 2, 3, 4].map((i) => ctx.crawlId(`dropped-${i}`))
      for (const crawlId of crawlIds) {
        await service.start(crawlId)
        // A framework that never reads the body (a middleware that replaced the Response).
        const dropped = await harness.streams.handle(new Request(harness.url(crawlId)))
        expect(dropped.status).toBe(200)
      }
      expect(harness.streams.diagnostics().connections).toBe(5)
      for (const crawlId of crawlIds) {
        await service.increment(crawlId, { discovered: 3, processed: 1 })
        await service.complete(crawlId, { pages: 1 })
      }
      await expectStreamsSettled(harness.streams, service)
      expect(harness.streams.diagnostics()).toMatchObject({ released: { unread: 5, overflow: 0 } })

      const reader = new SseTestClient(harness.url(crawlIds[0] as string))
      await reader.ended
      expect(reader.status).toBe(200)
      expect(reader.envelopes.map((e) => e.type)).toEqual(['snapshot', 'complete'])
    })

    it('releases a never-read response at its hard cap instead of holding a snapshot for it', async () => {
      const { service, harness } = await ctx.serve({
        queueSoftLimitBytes: 1_024,
        queueHardLimitBytes: 16_384,
      })
      const crawlId = ctx.crawlId('never-read')
      await service.start(crawlId)
      await harness.streams.handle(new Request(harness.url(crawlId)))
      for (let i = 0; i < 100; i++) {
        const urls = Array.from({ length: 20 }, (_, u) => `https://docs.example/${i}/${u}`)
        await service.publish(crawlId, { type: 'discovery', urls })
      }
      await expectStreamsSettled(harness.streams, service)
      expect(harness.streams.diagnostics()).toMatchObject({ released: { unread: 1, overflow: 0 } })
    })

    it('releases a never-read response on a quiet crawl after unreadTimeoutMs, and keeps a read one', async () => {
      const { service, harness } = await ctx.serve({ heartbeatMs: 50, unreadTimeoutMs: 300 })
      const crawlId = ctx.crawlId('quiet')
      await service.start(crawlId)
      const reader = new SseTestClient(harness.url(crawlId))
      await reader.waitFor(() => reader.envelopes.length > 0)
      await harness.streams.handle(new Request(harness.url(crawlId)))
      expect(harness.streams.diagnostics().connections).toBe(2)
      await vi.waitFor(() => expect(harness.streams.diagnostics().connections).toBe(1), {
        timeout: 5_000,
        interval: 10,
      })
      expect(harness.streams.diagnostics().released.unread).toBe(1)
      // The stream that is read stays, kept alive by its pings, and still gets what comes.
      const pings = reader.comments
      await reader.waitFor(() => reader.comments > pings + 2)
      await service.complete(crawlId, {})
      await reader.ended
      expect(reader.envelopes.map((e) => e.type)).toEqual(['snapshot', 'complete'])
      await expectStreamsSettled(harness.streams, service)
    })

    it('returns to zero connections, timers, subscriptions and queued bytes after 300 random aborts (unbounded throttle map)', async () => {
      // Room for the closes a loaded server has yet to notice (30 at once), not for a leak: 300
      // connections that were never released would pass it.
      const { service, harness } = await ctx.serve({ maxConnections: 90 })
      const crawlId = ctx.crawlId('aborts')
      await service.start(crawlId)
      const statuses = await abortRandomlyWhilePublishing(service, crawlId, harness.url(crawlId), {
        count: 300,
        concurrency: 30,
        seed: 9,
      })
      // Some aborts came before any answer, some after; every answer was a stream, never a 503.
      expect(statuses.length).toBeGreaterThan(0)
      expect(statuses.length).toBeLessThan(300)
      expect(new Set(statuses)).toEqual(new Set([200]))
      await expectStreamsSettled(harness.streams, service)
      expect(harness.streams.diagnostics().released).toEqual({ unread: 0, overflow: 0 })
    })
  })
}
