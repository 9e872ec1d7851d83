import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setImmediate } from 'node:timers/promises'
import {
  MemoryProgressService,
  type ProgressEnvelope,
  progressStreamPath,
} from '@docspasta/progress-core'
import { SseTestClient } from '@docspasta/progress-testing'
import { afterEach, expect, it } from 'vitest'
import { toLogged } from '../src/browser/envelopeLog.js'
import { type CrawlJobSpec, type CrawlJobTable, MemoryCrawlJobTable } from '../src/crawlJobTable.js'
import { type CreateAppOptions, createApp } from '../src/createApp.js'
import { expectEachSeqOnceInOrder } from './support/seqOrder.js'

const failEvery = 7

const cleanups: (() => Promise<void>)[] = []
/** What the app reported to onError: nothing, in every test (a killed worker is no error). */
const reported: unknown[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  expect(reported.splice(0)).toEqual([])
})

interface StartOptions {
  /** Each page waits for it. */
  gate?: Promise<void>
  jobs?: CrawlJobTable
  staleAfterMs?: number
  workers?: Partial<CreateAppOptions['workers']>
}

/** The demo app in this process on a loopback port, on the in-memory service and job table. */
async function startApp(options: StartOptions = {}) {
  const {
    gate = Promise.resolve(),
    staleAfterMs,
    workers,
    jobs = new MemoryCrawlJobTable(),
  } = options
  const service = new MemoryProgressService(staleAfterMs === undefined ? {} : { staleAfterMs })
  cleanups.push(() => service.close())
  const demo = createApp({
    service,
    jobs,
    browserApp: 'console.log("the page script")',
    onError: (error) => reported.push(error),
    defaultPages: 60,
    workers: {
      failEvery,
      pause: async () => {
        await gate
        await setImmediate()
      },
      ...workers,
    },
  })
  const http = createServer(demo.app)
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  cleanups.push(async () => {
    await demo.close()
    http.closeAllConnections()
    await new Promise<void>((resolve) => http.close(() => resolve()))
  })
  const { port } = http.address() as AddressInfo
  const origin = `http://127.0.0.1:${port}`
  const post = (path: string, body?: unknown) =>
    fetch(`${origin}${path}`, {
      method: 'POST',
      ...(body === undefined
        ? {}
        : {
            headers: { 'Content-Type': 'application/json' },
            body: typeof body === 'string' ? body : JSON.stringify(body),
          }),
    })
  const startCrawl = async (body?: unknown) => {
    const response = await post('/api/crawls', body)
    expect(response.status).toBe(201)
    return (await response.json()) as { crawlId: string; streamUrl: string }
  }
  return { service, jobs, demo, origin, post, startCrawl }
}

function gate() {
  let open = () => {}
  const opened = new Promise<void>((resolve) => {
    open = resolve
  })
  return { opened, open }
}

const isTerminal = (e: ProgressEnvelope) => e.type === 'complete' || e.type === 'error'

it('starts a crawl with POST /api/crawls and streams it once, in order, to one complete envelope (url mismatch)', async () => {
  const pages = gate()
  const { demo, startCrawl, origin } = await startApp({ gate: pages.opened })
  const body = await startCrawl()
  expect(Object.keys(body).sort()).toEqual(['crawlId', 'streamUrl'])
  expect(body.streamUrl).toBe(progressStreamPath(body.crawlId))

  const client = new SseTestClient(`${origin}${body.streamUrl}`)
  // The crawl's pages wait until the stream is open, so most of it arrives live.
  await client.waitFor(() => client.envelopes.length >= 1)
  pages.open()
  await client.ended

  expect(client.status).toBe(200)
  expect(client.envelopes[0]).toMatchObject({ type: 'snapshot', crawlId: body.crawlId })
  expectEachSeqOnceInOrder(client.envelopes.map(toLogged))
  const terminals = client.envelopes.filter(isTerminal)
  expect(terminals).toHaveLength(1)
  const failed = Math.floor(60 / failEvery)
  expect(terminals[0]).toMatchObject({
    type: 'complete',
    stats: { pages: 60 },
    totals: { discovered: 60, processed: 60 - failed, failed },
  })
  expect(client.envelopes.at(-1)).toBe(terminals[0])
  await expect.poll(() => demo.workers.runningCrawls()).toEqual([])
  expect(demo.streams.diagnostics()).toMatchObject({ connections: 0, timers: 0, queuedBytes: 0 })
})

it('answers 400 for a bad crawl request and starts nothing', async () => {
  const { post, service, jobs } = await startApp()
  const bodies = [
    [{ pages: 0 }, 'invalid-input', 'pages must be a whole number from 1 to 1000'],
    [{ pages: 2.5 }, 'invalid-input', 'pages must be a whole number from 1 to 1000'],
    [{ pages: 10, failAtPage: 11 }, 'invalid-input', 'failAtPage must be a whole number'],
    [{ pages: 10, speed: 'fast' }, 'invalid-input', 'unknown field "speed"'],
    [[1, 2], 'invalid-input', 'the body must be a JSON object'],
    ['{"pages":', 'invalid-json', 'the body is not valid JSON'],
  ] as const
  for (const [body, code, message] of bodies) {
    const response = await post('/api/crawls', body)
    expect(response.status).toBe(400)
    const answer = (await response.json()) as { error: { code: string; message: string } }
    expect(answer.error.code).toBe(code)
    expect(answer.error.message).toContain(message)
  }
  expect(service.diagnostics()).toMatchObject({ crawls: 0 })
  expect(await jobs.claim('test', 1_000, 1)).toBeUndefined()
})

it('fails a crawl at failAtPage with a non-retryable error that reaches the stream', async () => {
  const { startCrawl, origin } = await startApp()
  const { streamUrl } = await startCrawl({ pages: 20, failAtPage: 12 })
  const client = new SseTestClient(`${origin}${streamUrl}`)
  await client.ended
  expect(client.envelopes.filter(isTerminal)).toEqual([
    expect.objectContaining({
      type: 'error',
      error: {
        code: 'page-broke-the-crawl',
        message: 'page 12 broke the crawl (failAtPage)',
        retryable: false,
      },
    }),
  ])
})

it('fails a crawl from the page, and the worker that ran it stops', async () => {
  const pages = gate()
  const { startCrawl, post, origin, demo } = await startApp({ gate: pages.opened })
  const { crawlId, streamUrl } = await startCrawl()
  const client = new SseTestClient(`${origin}${streamUrl}`)
  await expect.poll(() => demo.workers.runningCrawls()).toEqual([crawlId])
  const failed = await post(`/api/crawls/${crawlId}/fail`)
  expect(await failed.json()).toEqual({ message: 'failed the crawl' })
  pages.open()
  await client.ended
  expect(client.envelopes.at(-1)).toMatchObject({
    type: 'error',
    error: { code: 'failed-from-page' },
  })
  await expect.poll(() => demo.workers.runningCrawls()).toEqual([])
  const again = await post(`/api/crawls/${crawlId}/fail`)
  expect(await again.json()).toEqual({ message: 'the crawl was already over' })
})

it('takes a killed worker’s crawl over once its lease lapses: a restart, then exact totals', async () => {
  const pages = gate()
  const { startCrawl, post, origin, demo } = await startApp({
    gate: pages.opened,
    workers: { leaseMs: 1_500, pollMs: 50 },
  })
  const { crawlId, streamUrl } = await startCrawl()
  const client = new SseTestClient(`${origin}${streamUrl}`)
  await client.waitFor(() => client.envelopes.length >= 1)
  await expect.poll(() => demo.workers.runningCrawls()).toEqual([crawlId])

  const killed = await post(`/api/crawls/${crawlId}/kill-worker`)
  expect(killed.status).toBe(200)
  pages.open()
  await client.ended

  const epochs = [...new Set(client.envelopes.map((e) => e.epoch))]
  expect(epochs).toHaveLength(2)
  expect(client.envelopes).toContainEqual(
    expect.objectContaining({ type: 'snapshot', resync: true, epoch: epochs[1] }),
  )
  expectEachSeqOnceInOrder(client.envelopes.map(toLogged))
  const failed = Math.floor(60 / failEvery)
  expect(client.envelopes.filter(isTerminal)).toEqual([
    expect.objectContaining({
      type: 'complete',
      epoch: epochs[1],
      totals: { discovered: 60, processed: 60 - failed, failed },
    }),
  ])
  // The takeover's run ended the crawl; no worker of this server runs it now.
  const notRunning = await post(`/api/crawls/${crawlId}/kill-worker`)
  expect(notRunning.status).toBe(409)
  expect(await notRunning.json()).toMatchObject({ error: { code: 'not-running-here' } })
})

it('fails the crawl as stalled when its last attempt’s worker is killed (lost errors)', async () => {
  const { startCrawl, post, origin, demo } = await startApp({
    gate: new Promise(() => {}),
    staleAfterMs: 1_000,
    workers: { leaseMs: 300, pollMs: 50, attempts: 1, heartbeatIntervalMs: 200 },
  })
  const { crawlId, streamUrl } = await startCrawl()
  const client = new SseTestClient(`${origin}${streamUrl}`)
  await expect.poll(() => demo.workers.runningCrawls()).toEqual([crawlId])
  // The stall check needs the crawl claimed: the worker's first heartbeat did that.
  await client.waitFor(() => client.envelopes.length >= 1)
  expect((await post(`/api/crawls/${crawlId}/kill-worker`)).status).toBe(200)
  await client.ended
  expect(client.envelopes.at(-1)).toMatchObject({
    type: 'error',
    error: { code: 'stalled', retryable: true },
  })
  expect(demo.workers.runningCrawls()).toEqual([])
})

it('never restarts a crawl failed from the page while its job waited for a takeover', async () => {
  const pages = gate()
  const { startCrawl, post, origin, demo, service, jobs } = await startApp({
    gate: pages.opened,
    workers: { leaseMs: 300, pollMs: 50 },
  })
  const { crawlId, streamUrl } = await startCrawl()
  const client = new SseTestClient(`${origin}${streamUrl}`)
  await expect.poll(() => demo.workers.runningCrawls()).toEqual([crawlId])
  expect((await post(`/api/crawls/${crawlId}/kill-worker`)).status).toBe(200)
  expect((await post(`/api/crawls/${crawlId}/fail`)).status).toBe(200)
  // Out of the table: no later claim can run it as a second attempt, which would restart it.
  expect(await jobs.crawlIds()).toEqual([])
  pages.open()
  await client.ended
  expect(demo.workers.runningCrawls()).toEqual([])
  expect(new Set(client.envelopes.map((e) => e.epoch)).size).toBe(1)
  expect(client.envelopes.at(-1)).toMatchObject({
    type: 'error',
    error: { code: 'failed-from-page' },
  })
  expect(await service.getSnapshot(crawlId)).toMatchObject({ status: 'failed' })
})

it('fails a crawl it could not queue, and answers 503 without a stack', async () => {
  const jobs = new UnwritableJobTable()
  const { post, service } = await startApp({ jobs })
  const response = await post('/api/crawls')
  expect(response.status).toBe(503)
  expect(await response.json()).toEqual({
    error: { code: 'unavailable', message: 'the demo could not do that now; try again' },
  })
  expect(reported.splice(0)).toEqual([new Error('the job table is down')])
  // Started, never queued: failed at once, not left running for nobody.
  const [crawlId] = jobs.refused
  expect(await service.getSnapshot(crawlId as string)).toMatchObject({
    status: 'failed',
    terminal: { error: { code: 'not-queued', retryable: true } },
  })
})

/** A job table whose store is down for writes: every add() fails. */
class UnwritableJobTable extends MemoryCrawlJobTable {
  readonly refused: string[] = []

  override async add(spec: CrawlJobSpec): Promise<void> {
    this.refused.push(spec.crawlId)
    throw new Error('the job table is down')
  }
}

it('cuts this server’s streams of a crawl: the socket is destroyed, with no terminal', async () => {
  const { startCrawl, post, origin, demo } = await startApp({ gate: new Promise(() => {}) })
  const { crawlId, streamUrl } = await startCrawl()
  const client = new SseTestClient(`${origin}${streamUrl}`)
  await client.waitFor(() => client.envelopes.length >= 1)
  const cut = await post(`/api/crawls/${crawlId}/cut`)
  expect(await cut.json()).toEqual({ message: 'cut 1 connection of this server' })
  await client.ended
  expect(client.envelopes.filter(isTerminal)).toEqual([])
  await expect.poll(() => demo.streams.diagnostics().connections).toBe(0)
})

it('ends open streams with a server-shutdown terminal when the app closes mid-crawl, running or waiting (lost errors)', async () => {
  // One worker: the second crawl waits in the table for it.
  const { demo, startCrawl, origin } = await startApp({
    gate: new Promise(() => {}),
    workers: { workers: 1 },
  })
  const running = await startCrawl()
  const waiting = await startCrawl()
  const clients = [running, waiting].map(
    ({ streamUrl }) => new SseTestClient(`${origin}${streamUrl}`),
  )
  for (const client of clients) await client.waitFor(() => client.envelopes.length >= 1)
  await expect.poll(() => demo.workers.runningCrawls()).toEqual([running.crawlId])

  await demo.close()
  for (const client of clients) {
    await client.ended
    expect(client.envelopes.at(-1)).toMatchObject({
      type: 'error',
      error: { code: 'server-shutdown', retryable: true },
    })
  }
  expect(demo.workers.runningCrawls()).toEqual([])
  expect(demo.streams.diagnostics()).toEqual({
    connections: 0,
    timers: 0,
    queuedBytes: 0,
    released: { unread: 0, overflow: 0 },
  })
})

it('answers 400 for an invalid crawl id and 404 for an unknown crawl, as JSON', async () => {
  const { origin, post } = await startApp()
  const invalid = await fetch(`${origin}/api/crawl-v2/${encodeURIComponent('a b')}/stream`)
  expect(invalid.status).toBe(400)
  expect(await invalid.json()).toMatchObject({ error: { code: 'invalid-input' } })
  const unknown = await fetch(`${origin}${progressStreamPath('no-such.crawl:1')}`)
  expect(unknown.status).toBe(404)
  expect(await unknown.json()).toMatchObject({ error: { code: 'crawl-not-found' } })
  const failUnknown = await post('/api/crawls/no-such.crawl:1/fail')
  expect(failUnknown.status).toBe(404)
  expect(await failUnknown.json()).toMatchObject({ error: { code: 'crawl-not-found' } })
})

it('serves the page and its script', async () => {
  const { origin } = await startApp()
  const page = await fetch(`${origin}/`)
  expect(page.headers.get('content-type')).toMatch(/^text\/html/)
  expect(await page.text()).toContain('<script type="module" src="/app.js"></script>')
  const script = await fetch(`${origin}/app.js`)
  expect(script.headers.get('content-type')).toMatch(/^text\/javascript/)
  expect(await script.text()).toBe('console.log("the page script")')
})
