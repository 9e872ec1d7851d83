import type { AddressInfo } from 'node:net'
import {
  createProgressStreamServer,
  MemoryProgressService,
  type ProgressStreamServerOptions,
  progressStreamPath,
  progressStreamRoute,
} from '@docspasta/progress-core'
import {
  abortRandomlyWhilePublishing,
  expectStreamsSettled,
  SseTestClient,
} from '@docspasta/progress-testing'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { afterEach, expect, it } from 'vitest'

// Hono on @hono/node-server, written as the SSE guide shows it. Hono answers HEAD with the GET
// handler's Response and drops its body unread; a middleware that replaces a Response drops the
// handler's body the same way.
const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function startHono(options: Omit<ProgressStreamServerOptions, 'service'> = {}) {
  const progress = new MemoryProgressService()
  const streams = createProgressStreamServer({ service: progress, ...options })
  const app = new Hono()
  app.use(async (c, next) => {
    await next()
    if (c.req.header('x-replace') === 'yes') c.res = new Response('replaced by a middleware')
  })
  app.get(progressStreamRoute(), (c) =>
    streams.handle(c.req.raw, { crawlId: c.req.param('crawlId') }),
  )
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const started = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () =>
      resolve(started),
    )
  })
  cleanups.push(async () => {
    streams.close()
    await new Promise<void>((resolve) => server.close(() => resolve()))
    await progress.close()
  })
  const { port } = server.address() as AddressInfo
  const url = (crawlId: string) => `http://127.0.0.1:${port}${progressStreamPath(crawlId)}`
  return { progress, streams, url }
}

it('answers HEAD through Hono without opening a stream, so HEADs never exhaust maxConnections', async () => {
  const { progress, streams, url } = await startHono({ maxConnections: 5 })
  await progress.start('crawl-head')
  for (let i = 0; i < 20; i++) {
    const head = await fetch(url('crawl-head'), { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(head.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
  }
  expect(streams.diagnostics()).toMatchObject({ connections: 0, timers: 0, queuedBytes: 0 })
  expect(progress.diagnostics().subscriptions).toBe(0)
  const client = new SseTestClient(url('crawl-head'))
  await client.waitFor(() => client.envelopes.length > 0)
  expect(client.status).toBe(200)
  client.close()
  await expectStreamsSettled(streams, progress)
})

it('releases streams whose Response a middleware replaced, once their terminal waits unread', async () => {
  const { progress, streams, url } = await startHono({ maxConnections: 5, unreadTimeoutMs: 200 })
  for (let i = 0; i < 5; i++) {
    await progress.start(`crawl-${i}`)
    const replaced = await fetch(url(`crawl-${i}`), { headers: { 'x-replace': 'yes' } })
    expect(await replaced.text()).toBe('replaced by a middleware')
  }
  expect(streams.diagnostics().connections).toBe(5)
  for (let i = 0; i < 5; i++) await progress.complete(`crawl-${i}`, {})
  await expectStreamsSettled(streams, progress)
  expect(streams.diagnostics().released).toEqual({ unread: 5, overflow: 0 })
  const client = new SseTestClient(url('crawl-0'))
  await client.ended
  expect(client.envelopes.map((e) => e.type)).toEqual(['snapshot', 'complete'])
})

it('returns to zero after 300 random aborts through Hono while the crawl publishes', async () => {
  // Room for closes not yet noticed on a loaded machine (30 at once), not for a leak of 300.
  const { progress, streams, url } = await startHono({ maxConnections: 90 })
  await progress.start('crawl-aborts')
  const statuses = await abortRandomlyWhilePublishing(
    progress,
    'crawl-aborts',
    url('crawl-aborts'),
    {
      count: 300,
      concurrency: 30,
      seed: 5,
    },
  )
  expect(statuses.length).toBeGreaterThan(0)
  expect(new Set(statuses)).toEqual(new Set([200]))
  await expectStreamsSettled(streams, progress)
  expect(streams.diagnostics().released).toEqual({ unread: 0, overflow: 0 })
})
