import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setImmediate } from 'node:timers/promises'
import { MemoryProgressService, progressStreamPath } from '@docspasta/progress-core'
import { SseTestClient } from '@docspasta/progress-testing'
import { afterEach, expect, it } from 'vitest'
import { createApp } from '../src/createApp.js'

const pages = 60
const failEvery = 7

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** The app on a loopback port, with a crawl that waits for `gate` before its first page. */
async function startApp(gate: Promise<void> = Promise.resolve()) {
  const service = new MemoryProgressService()
  cleanups.push(() => service.close())
  const example = createApp({
    service,
    crawl: {
      pages,
      workers: 4,
      failEvery,
      pause: async () => {
        await gate
        await setImmediate()
      },
    },
  })
  const http = createServer(example.app)
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  cleanups.push(async () => {
    await example.close()
    http.closeAllConnections()
    await new Promise<void>((resolve) => http.close(() => resolve()))
  })
  const { port } = http.address() as AddressInfo
  return { service, example, origin: `http://127.0.0.1:${port}` }
}

it('starts a crawl with POST /api/crawls and streams it once, in order, to one complete envelope (url mismatch)', async () => {
  let openGate = () => {}
  const gate = new Promise<void>((resolve) => {
    openGate = resolve
  })
  const { service, example, origin } = await startApp(gate)

  const response = await fetch(`${origin}/api/crawls`, { method: 'POST' })
  expect(response.status).toBe(201)
  const body = (await response.json()) as { crawlId: string; streamUrl: string }
  expect(Object.keys(body).sort()).toEqual(['crawlId', 'streamUrl'])
  expect(body.streamUrl).toBe(progressStreamPath(body.crawlId))
  expect(await service.getSnapshot(body.crawlId)).toMatchObject({ status: 'running' })

  const client = new SseTestClient(`${origin}${body.streamUrl}`)
  // The crawl's pages wait until the stream is open, so most of it arrives live.
  await client.waitFor(() => client.envelopes.length >= 1)
  openGate()
  await client.ended

  expect(client.status).toBe(200)
  expect(client.headers['content-type']).toBe('text/event-stream; charset=utf-8')
  const [snapshot, ...events] = client.envelopes
  expect(snapshot).toMatchObject({ type: 'snapshot', crawlId: body.crawlId, status: 'running' })
  const first = (snapshot?.seq ?? 0) + 1
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => first + i))
  expect(events.some((e) => 'coalesced' in e)).toBe(false)
  // One discovery per page that found links and one progress per page, at the least.
  expect(events.length).toBeGreaterThan(pages)

  const terminals = client.envelopes.filter((e) => e.type === 'complete' || e.type === 'error')
  expect(terminals).toHaveLength(1)
  const failed = Math.floor(pages / failEvery)
  expect(terminals[0]).toMatchObject({
    type: 'complete',
    stats: { pages },
    totals: { discovered: pages, processed: pages - failed, failed },
  })
  expect(client.envelopes.at(-1)).toBe(terminals[0])
  for (const envelope of client.envelopes) {
    const { discovered, processed, failed } = envelope.totals
    expect(processed + failed).toBeLessThanOrEqual(discovered)
  }

  expect(example.streams.diagnostics()).toEqual({
    connections: 0,
    timers: 0,
    queuedBytes: 0,
    released: { unread: 0, overflow: 0 },
  })
})

it('ends open streams with an error envelope when the app closes mid-crawl (lost errors)', async () => {
  const { example, origin } = await startApp(new Promise(() => {}))
  const response = await fetch(`${origin}/api/crawls`, { method: 'POST' })
  const { streamUrl } = (await response.json()) as { streamUrl: string }
  const client = new SseTestClient(`${origin}${streamUrl}`)
  await client.waitFor(() => client.envelopes.length >= 1)

  await example.close()
  await client.ended
  expect(client.envelopes.at(-1)).toMatchObject({
    type: 'error',
    error: { code: 'crawl-aborted', retryable: true },
  })
  expect(example.streams.diagnostics()).toEqual({
    connections: 0,
    timers: 0,
    queuedBytes: 0,
    released: { unread: 0, overflow: 0 },
  })
})

it('answers 400 for an invalid crawl id and 404 for an unknown crawl, as JSON', async () => {
  const { origin } = await startApp()
  const invalid = await fetch(`${origin}/api/crawl-v2/${encodeURIComponent('a b')}/stream`)
  expect(invalid.status).toBe(400)
  expect(await invalid.json()).toMatchObject({ error: { code: 'invalid-input' } })
  const unknown = await fetch(`${origin}${progressStreamPath('no-such.crawl:1')}`)
  expect(unknown.status).toBe(404)
  expect(await unknown.json()).toMatchObject({ error: { code: 'crawl-not-found' } })
})

it('serves the page at GET /, which follows the stream with EventSource', async () => {
  const { origin } = await startApp()
  const response = await fetch(`${origin}/`)
  expect(response.status).toBe(200)
  expect(response.headers.get('content-type')).toMatch(/^text\/html/)
  const html = await response.text()
  expect(html).toContain('new EventSource(streamUrl)')
  expect(html).toContain("fetch('/api/crawls', { method: 'POST' })")
})
