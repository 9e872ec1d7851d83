import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { launchChromium } from '@docspasta/browser-testing'
import {
  createProgressStreamServer,
  MemoryProgressService,
  type ProgressStreamServer,
  progressStreamPath,
} from '@docspasta/progress-core'
import { createNodeProgressHandler } from '@docspasta/progress-core/node'
import { build } from 'esbuild'
import type { Browser, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { CommittedResult, HookPage, RenderOptions } from './useProgressPage.js'

// useProgress with real React (its development build: StrictMode mounts twice), in headless
// Chromium, against core's SSE server on loopback.

// React, react-dom and the hook from the client's sources, as a browser app bundles them.
async function bundlePage(): Promise<string> {
  const result = await build({
    entryPoints: [new URL('./useProgressPage.ts', import.meta.url).pathname],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    conditions: ['docspasta-source'],
    define: { 'process.env.NODE_ENV': '"development"' },
    write: false,
  })
  return result.outputFiles[0]?.text ?? ''
}

const PAGE = `<!doctype html><title>useProgress</title><div id="root"></div>
<script type="module" src="/page.js"></script>`
/** Long enough for a renderer starved by other browser tests on a loaded machine. */
const WAIT = { timeout: 30_000 }

let browser: Browser
let http: Server
let service: MemoryProgressService
let streams: ProgressStreamServer
let origin: string
/** Stream requests the server received, per crawl id. */
const streamRequests = new Map<string, number>()
/** Crawls whose next stream request is answered 503 (then the server works again). */
const unavailableOnce = new Set<string>()

beforeAll(async () => {
  const bundle = await bundlePage()
  service = new MemoryProgressService()
  streams = createProgressStreamServer({ service })
  const handle = createNodeProgressHandler(streams)
  http = createServer((req, res) => {
    if (req.url === '/' || req.url === '/page.js') {
      const [body, type] = req.url === '/' ? [PAGE, 'text/html'] : [bundle, 'text/javascript']
      res.writeHead(200, { 'Content-Type': type }).end(body)
      return
    }
    const { pathname } = new URL(req.url ?? '/', origin)
    const crawlId = /\/([^/]+)\/stream$/.exec(pathname)?.[1]
    if (crawlId !== undefined && pathname === progressStreamPath(crawlId)) {
      streamRequests.set(crawlId, (streamRequests.get(crawlId) ?? 0) + 1)
      if (unavailableOnce.delete(crawlId)) {
        res.writeHead(503, { 'Retry-After': '1', 'Content-Type': 'text/plain' }).end('later')
        return
      }
    }
    handle(req, res).catch((error: unknown) => res.destroy(error as Error))
  })
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
  browser = await launchChromium()
}, 60_000)

afterAll(async () => {
  await browser?.close()
  streams?.close()
  http?.closeAllConnections()
  if (http) await new Promise((resolve) => http.close(resolve))
  await service?.close()
})

let page: Page
/** Uncaught errors and console errors of the page, but the network's own failure lines. */
let pageErrors: string[]

beforeEach(async () => {
  pageErrors = []
  page = await browser.newPage()
  page.on('pageerror', (error) => pageErrors.push(error.message))
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
      pageErrors.push(message.text())
    }
  })
  await page.goto(`${origin}/`)
  await page.waitForFunction(() => 'hookPage' in window, undefined, WAIT)
})

afterEach(async () => {
  await page?.close()
  // Every test ends with its connections closed: the next one counts from 0.
  await expect.poll(() => streams.diagnostics().connections, WAIT).toBe(0)
  expect(pageErrors).toEqual([])
})

// ---- The page, seen from the test ----

const streamUrl = (crawlId: string) => `${origin}${progressStreamPath(crawlId)}`

function renderHook(url: string | null, options: RenderOptions = {}): Promise<void> {
  return page.evaluate(
    ([target, renderOptions]) =>
      (window as unknown as { hookPage: HookPage }).hookPage.render(target, renderOptions),
    [url, options] as const,
  )
}

function unmountHook(): Promise<void> {
  return page.evaluate(() => (window as unknown as { hookPage: HookPage }).hookPage.unmount())
}

function readPage(): Promise<Omit<HookPage, 'render' | 'unmount'>> {
  return page.evaluate(() => {
    const { results, mounts, events, unhandled } = (window as unknown as { hookPage: HookPage })
      .hookPage
    return { results, mounts, events, unhandled }
  })
}

/**
 * Waits until a committed result passes `check`, and returns the first one that does. Every
 * commit is kept, so a state the page held only briefly is found too. `check` runs in the page:
 * it may use its argument and literals only.
 */
async function waitForResult(
  check: (result: CommittedResult) => boolean,
): Promise<CommittedResult> {
  const found = await page.waitForFunction(
    `window.hookPage.results.find(${check.toString()}) ?? false`,
    undefined,
    WAIT,
  )
  return (await found.jsonValue()) as CommittedResult
}

const requestsOf = (crawlId: string) => streamRequests.get(crawlId) ?? 0

describe('useProgress in headless Chromium against the SSE server', () => {
  it('reduces every envelope of a crawl to its exact final totals and completed status', async () => {
    await service.start('hook-totals')
    await service.publish('hook-totals', { type: 'discovery', urls: ['https://a', 'https://b'] })
    await renderHook(streamUrl('hook-totals'))
    await waitForResult((r) => r.status === 'open' && r.totals.discovered === 2)
    // One envelope, then its commit: the callbacks of a later render handle the next ones.
    await service.publish('hook-totals', { type: 'progress', delta: { processed: 1 } })
    await waitForResult((r) => r.totals.processed === 1)
    await service.publishBatch('hook-totals', [
      { type: 'discovery', urls: ['https://c', 'https://d', 'https://e'] },
      { type: 'progress', delta: { processed: 2, failed: 1 } },
      { type: 'progress', delta: { processed: 1 } },
    ])
    await service.complete('hook-totals', { pages: 4 })
    const final = await waitForResult((r) => r.status === 'closed')
    expect(final).toMatchObject({
      crawlId: 'hook-totals',
      crawlStatus: 'completed',
      totals: { discovered: 5, processed: 4, failed: 1 },
      error: null,
      retryAt: null,
    })
    expect(final.totals).toEqual((await service.getSnapshot('hook-totals'))?.totals)
    const { events, unhandled } = await readPage()
    // The snapshot (seq 1), then seqs 2 to 6: each envelope once, in order.
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6])
    // onEvent is the latest one passed: not the first render's callback throughout.
    expect(events.at(-1)?.render).toBeGreaterThan(events[0]?.render ?? Number.POSITIVE_INFINITY)
    expect(unhandled).toEqual([])
    expect(requestsOf('hook-totals')).toBe(1)
  })

  it('opens exactly one stream under StrictMode, whose double mount is real', async () => {
    await service.start('hook-strict')
    await renderHook(streamUrl('hook-strict'), { strict: true })
    await waitForResult((r) => r.status === 'open')
    expect(streams.diagnostics().connections).toBe(1)
    expect(requestsOf('hook-strict')).toBe(1)
    await service.publish('hook-strict', { type: 'progress', delta: { processed: 3 } })
    await service.complete('hook-strict')
    const final = await waitForResult((r) => r.status === 'closed')
    expect(final).toMatchObject({ crawlStatus: 'completed', totals: { processed: 3 } })
    // The component mounted, was cleaned up and mounted again: the first subscription was
    // closed before its first request.
    expect((await readPage()).mounts).toBe(2)
    expect(requestsOf('hook-strict')).toBe(1)
    await unmountHook()
    await expect.poll(() => streams.diagnostics().connections, WAIT).toBe(0)
    expect(requestsOf('hook-strict')).toBe(1)
  })

  it('closes the connection on unmount, without an unhandled rejection', async () => {
    await service.start('hook-unmount')
    await renderHook(streamUrl('hook-unmount'))
    await waitForResult((r) => r.status === 'open')
    expect(streams.diagnostics().connections).toBe(1)
    await unmountHook()
    // The crawl still runs: only the unmount can have ended the connection.
    await expect.poll(() => streams.diagnostics().connections, WAIT).toBe(0)
    const after = await readPage()
    // close() reports 'closed' and rejects `done` with an AbortError: neither reaches the page.
    expect(after.unhandled).toEqual([])
    expect(requestsOf('hook-unmount')).toBe(1)
    await service.complete('hook-unmount')
  })

  it('keeps one subscription for a same-href URL object; a new url restarts from the new crawl', async () => {
    await service.start('hook-first')
    await service.publish('hook-first', { type: 'progress', delta: { processed: 7, failed: 2 } })
    await service.start('hook-second')
    await service.publish('hook-second', { type: 'progress', delta: { processed: 1 } })
    const first = streamUrl('hook-first')
    const second = streamUrl('hook-second')

    await renderHook(first, { asUrlObject: true })
    await waitForResult((r) => r.status === 'open' && r.totals.processed === 7)
    // Another URL object, another options object: the same subscription. The next envelope can
    // only reach the page through a connection whose request is already counted.
    await renderHook(first, { asUrlObject: true })
    await service.publish('hook-first', { type: 'progress', delta: { processed: 1 } })
    await waitForResult((r) => r.totals.processed === 8)
    expect(requestsOf('hook-first')).toBe(1)

    const committedBefore = (await readPage()).results.length
    await renderHook(second)
    await waitForResult((r) => r.status === 'open' && r.crawlId === 'hook-second')
    // The first crawl goes on after the change; none of it may reach the hook any more.
    await service.publish('hook-first', { type: 'progress', delta: { processed: 5 } })
    await service.publish('hook-second', { type: 'discovery', urls: ['https://x'] })
    await waitForResult((r) => r.totals.discovered === 1)
    await expect.poll(() => streams.diagnostics().connections, WAIT).toBe(1)
    expect(requestsOf('hook-first')).toBe(1)
    expect(requestsOf('hook-second')).toBe(1)

    const afterChange = (await readPage()).results.slice(committedBefore)
    // The first commit under the new url is the initial state, then only the new crawl's.
    expect(afterChange[0]).toMatchObject({
      url: second,
      status: 'connecting',
      crawlId: null,
      crawlStatus: 'idle',
      totals: { discovered: 0, processed: 0, failed: 0 },
    })
    for (const result of afterChange) {
      expect(result.url).toBe(second)
      expect(result.crawlId === null || result.crawlId === 'hook-second').toBe(true)
      expect(result.totals.failed).toBe(0)
      expect(result.totals.processed).toBeLessThanOrEqual(1)
    }
    await unmountHook()
    await service.complete('hook-first')
    await service.complete('hook-second')
  })

  it('ends with status closed and the fatal error when the crawl does not exist (404)', async () => {
    await renderHook(streamUrl('hook-missing'))
    const final = await waitForResult((r) => r.status === 'closed')
    expect(final).toMatchObject({
      crawlStatus: 'idle',
      error: { code: 'http-status', status: 404, fatal: true },
      retryAt: null,
    })
    expect(requestsOf('hook-missing')).toBe(1)
  })

  it('shows reconnecting with retryAt after a 503, then open, then completes without error', async () => {
    await service.start('hook-flaky')
    unavailableOnce.add('hook-flaky')
    const startedAt = Date.now()
    await renderHook(streamUrl('hook-flaky'))
    const waiting = await waitForResult((r) => r.status === 'reconnecting' && r.retryAt !== null)
    expect(waiting.error).toEqual({ code: 'connection', status: 503, fatal: false })
    // Retry-After: 1 is the wait's lower bound, and the default backoff's first wait is shorter.
    expect(waiting.retryAt).toBeGreaterThanOrEqual(startedAt + 1_000)
    expect(waiting.retryAt).toBeLessThanOrEqual(waiting.at + 1_000)
    const opened = await waitForResult((r) => r.status === 'open')
    expect(opened).toMatchObject({ error: null, retryAt: null })
    await service.publish('hook-flaky', { type: 'progress', delta: { processed: 2 } })
    await service.complete('hook-flaky')
    const final = await waitForResult((r) => r.status === 'closed')
    expect(final).toMatchObject({
      crawlStatus: 'completed',
      totals: { processed: 2 },
      error: null,
      retryAt: null,
    })
    expect(requestsOf('hook-flaky')).toBe(2)
  })
})
