import { describe, expect, it, vi } from 'vitest'
import { SseTestClient } from './sseTestClient.js'
import type { StreamContext } from './streamContext.js'

async function fetchJson(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { headers })
  return { status: response.status, headers: response.headers, body: await response.json() }
}

export function registerStreamGuardTests(ctx: StreamContext): void {
  describe('SSE safe defaults', () => {
    it('answers bad input with a JSON status and writes nothing to the store', async () => {
      const { service, harness } = await ctx.serve({
        authorize: (request, crawlId) => {
          const token = request.headers.get('authorization')
          if (crawlId.includes('explode')) throw new Error('secret stack detail')
          if (!token) return { status: 401, message: 'sign in first' }
          return token === 'Bearer good'
        },
      })
      const stored = await ctx.target.countStored?.()
      const origin = new URL(harness.url('x')).origin

      const invalid = await fetchJson(`${origin}/api/crawl-v2/a%20b%7Bc%7D/stream`)
      expect(invalid.status).toBe(400)
      expect(invalid.body).toMatchObject({ error: { code: 'invalid-input' } })
      const unrouted = await fetchJson(`${origin}/api/crawl-v2/stream`)
      expect(unrouted.status).toBe(400)

      const unknown = ctx.crawlId('unknown')
      expect((await fetchJson(harness.url(unknown))).status).toBe(401)
      const missing = await fetchJson(harness.url(unknown), { authorization: 'Bearer good' })
      expect(missing.status).toBe(404)
      expect(missing.body).toMatchObject({ error: { code: 'crawl-not-found' } })
      expect(await service.getSnapshot(unknown)).toBeNull()

      const known = ctx.crawlId('known')
      await service.start(known)
      const forbidden = await fetchJson(harness.url(known), { authorization: 'Bearer bad' })
      expect(forbidden).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } })
      const unauthorized = await fetchJson(harness.url(known))
      expect(unauthorized).toMatchObject({
        status: 401,
        body: { error: { code: 'unauthorized', message: 'sign in first' } },
      })
      const exploded = await fetch(harness.url(ctx.crawlId('explode')), {
        headers: { authorization: 'Bearer good' },
      })
      expect(exploded.status).toBe(500)
      expect(await exploded.text()).not.toMatch(/secret|stack|at /)

      await service.cleanup(known)
      expect(await ctx.target.countStored?.()).toBe(stored)
      expect(harness.streams.diagnostics().connections).toBe(0)
    })

    it('counts requests still in authorize() against maxConnections', async () => {
      const { service, harness } = await ctx.serve({
        maxConnections: 2,
        authorize: () => new Promise((resolve) => setTimeout(() => resolve(true), 100)),
      })
      const crawlId = ctx.crawlId('slow-auth')
      await service.start(crawlId)
      const clients = Array.from({ length: 6 }, () => new SseTestClient(harness.url(crawlId)))
      await Promise.all(clients.map((client) => client.waitFor(() => client.status !== 0)))
      const statuses = clients.map((client) => client.status).sort()
      expect(statuses).toEqual([200, 200, 503, 503, 503, 503])
      for (const client of clients) client.close()
    })

    it('refuses connections past maxConnections with 503 and Retry-After', async () => {
      const { service, harness } = await ctx.serve({ maxConnections: 2, retryAfterSeconds: 7 })
      const crawlId = ctx.crawlId('limit')
      await service.start(crawlId)
      const open = [
        new SseTestClient(harness.url(crawlId)),
        new SseTestClient(harness.url(crawlId)),
      ]
      for (const client of open) await client.waitFor(() => client.envelopes.length > 0)
      const refused = await fetchJson(harness.url(crawlId))
      expect(refused.status).toBe(503)
      expect(refused.headers.get('retry-after')).toBe('7')
      expect(refused.body).toMatchObject({ error: { code: 'over-capacity' } })
      open[0]?.close()
      // The slot frees once the server has seen the close.
      await vi.waitFor(() => expect(harness.streams.diagnostics().connections).toBe(1))
      const admitted = new SseTestClient(harness.url(crawlId))
      await admitted.waitFor(() => admitted.envelopes.length > 0)
      expect(admitted.status).toBe(200)
      admitted.close()
      open[1]?.close()
    })
  })
}
