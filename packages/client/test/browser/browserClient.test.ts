import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { launchChromium } from '@docspasta/browser-testing'
import {
  createProgressStreamServer,
  MemoryProgressService,
  progressStreamPath,
} from '@docspasta/progress-core'
import { createNodeProgressHandler } from '@docspasta/progress-core/node'
import { build } from 'esbuild'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FaultServer, startFaultServer } from '../support/faultServer.js'
import { fatalScenarios, gauntletScenario } from '../support/scenarios.js'
import { completeEnvelope, snapshotEnvelope, sseMessage } from '../support/sseText.js'

// The client as a browser loads it: the package's entry bundled for the browser by esbuild.
async function bundleClient(): Promise<string> {
  const result = await build({
    entryPoints: [new URL('../../src/index.ts', import.meta.url).pathname],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    conditions: ['docspasta-source'],
    write: false,
  })
  return result.outputFiles[0]?.text ?? ''
}

// The page loads the bundle as a module and exposes it (evaluate() code is not transformed).
const CLIENT_PAGE = `<!doctype html><title>client tests</title><script type="module">
  import * as client from '/client.js'; window.progressClient = client
</script>`

let browser: Browser
let server: FaultServer
let page: Page
let clientBundle: string

beforeAll(async () => {
  server = await startFaultServer()
  clientBundle = await bundleClient()
  server.route('/', CLIENT_PAGE, 'text/html')
  server.route('/client.js', clientBundle, 'text/javascript')
  browser = await launchChromium()
  page = await browser.newPage()
  await page.goto(`${server.origin}/`)
  await page.waitForFunction(() => 'progressClient' in window)
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

describe('subscribeProgress in headless Chromium', () => {
  it('delivers every seq exactly once and in order through the same faults as in Node (polling fallback)', async () => {
    // The first stream is cut by the watchdog, not dropped by the server: Chromium may discard
    // what it received but had not read yet when a response fails, and a starved renderer has
    // read nothing yet. The Node test covers the server's drop.
    const scenario = gauntletScenario('stall')
    const url = server.script('browser-gauntlet', scenario.steps)
    const result = await page.evaluate(async (streamUrl) => {
      // biome-ignore lint/suspicious/noExplicitAny: the bundle's exports, seen from the page
      const { subscribeProgress } = (window as any).progressClient
      const seen: string[] = []
      const errors: (number | undefined)[] = []
      const subscription = subscribeProgress(streamUrl, {
        // Ends the script's two stalls; it also bounds the wait for each answer, which a
        // renderer starved by a loaded machine may read late.
        heartbeatTimeoutMs: 2_000,
        backoff: { initialMs: 20, maxMs: 200 },
        onError: (error: { status?: number }) => errors.push(error.status),
      })
      for await (const e of subscription) seen.push(`${e.type}:${e.epoch}:${e.seq}`)
      const terminal = await subscription.done
      return { seen, errors, terminal: `${terminal.type}:${terminal.seq}` }
    }, url)
    expect(result.seen).toEqual(scenario.delivered)
    expect(result.terminal).toBe('complete:5')
    expect(result.errors.filter(Boolean)).toEqual([500, 503, 429])
    expect(server.requests('browser-gauntlet').map((h) => h['last-event-id'])).toEqual(
      scenario.lastEventIds,
    )
  }, 30_000)

  for (const scenario of fatalScenarios) {
    it(`gives up after ${scenario.name} without another request`, async () => {
      const name = `browser-${scenario.name}`
      const url = server.script(name, [scenario.step, scenario.step])
      const code = await page.evaluate(async (streamUrl) => {
        // biome-ignore lint/suspicious/noExplicitAny: the bundle's exports, seen from the page
        const { subscribeProgress } = (window as any).progressClient
        const subscription = subscribeProgress(streamUrl, { backoff: { initialMs: 1, maxMs: 1 } })
        return subscription.done.then(
          () => 'resolved',
          (error: { code: string }) => error.code,
        )
      }, url)
      expect(code).toBe(scenario.code)
      await page.waitForTimeout(100)
      expect(server.requests(name)).toHaveLength(1)
    })
  }

  it('reconnects at once on the online event instead of waiting out the backoff', async () => {
    const url = server.script('browser-online', [
      { kind: 'status', status: 500 },
      {
        kind: 'stream',
        chunks: [sseMessage(completeEnvelope('e', 1), { id: false })],
        after: 'stall',
      },
    ])
    const outcome = await page.evaluate(async (streamUrl) => {
      // biome-ignore lint/suspicious/noExplicitAny: the bundle's exports, seen from the page
      const { subscribeProgress } = (window as any).progressClient
      const started = performance.now()
      const subscription = subscribeProgress(streamUrl, {
        backoff: { initialMs: 60_000, maxMs: 60_000 },
        random: () => 0.99,
        onStatus: (status: string) => {
          if (status === 'reconnecting')
            setTimeout(() => window.dispatchEvent(new Event('online')), 50)
        },
      })
      const terminal = await subscription.done
      return { type: terminal.type, elapsedMs: performance.now() - started }
    }, url)
    expect(outcome.type).toBe('complete')
    expect(outcome.elapsedMs).toBeLessThan(10_000)
    expect(server.requests('browser-online')).toHaveLength(2)
  })
})

describe('pauseWhenHidden', () => {
  it('drops the connection while the page is hidden and resumes from the last id when visible', async () => {
    const url = server.script('browser-hidden', [
      {
        kind: 'stream',
        chunks: [sseMessage(snapshotEnvelope('e', 0))],
        after: 'stall',
      },
      {
        kind: 'stream',
        chunks: [sseMessage(completeEnvelope('e', 1))],
        after: 'stall',
      },
    ])
    const hiddenPage = await browser.newPage()
    await hiddenPage.goto(`${server.origin}/`)
    await hiddenPage.waitForFunction(() => 'progressClient' in window)
    await hiddenPage.evaluate((streamUrl) => {
      let hidden = false
      Object.defineProperty(document, 'visibilityState', {
        get: () => (hidden ? 'hidden' : 'visible'),
      })
      // biome-ignore lint/suspicious/noExplicitAny: test hooks on the page
      const w = window as any
      w.setHidden = (value: boolean) => {
        hidden = value
        document.dispatchEvent(new Event('visibilitychange'))
      }
      w.seen = [] as string[]
      w.statuses = [] as string[]
      w.errors = [] as string[]
      w.subscription = w.progressClient.subscribeProgress(streamUrl, {
        pauseWhenHidden: true,
        // Long enough that only an immediate reconnect on visibility ends the test in time.
        backoff: { initialMs: 60_000, maxMs: 60_000 },
        random: () => 0.99,
        onEvent: (e: { type: string; seq: number }) => w.seen.push(`${e.type}:${e.seq}`),
        onStatus: (status: string) => w.statuses.push(status),
        onError: (error: { code: string; message: string }) =>
          w.errors.push(`${error.code}: ${error.message}`),
      })
    }, url)
    await hiddenPage.waitForFunction(
      () => (window as unknown as { seen: string[] }).seen.length === 1,
    )
    await hiddenPage.evaluate(() =>
      (window as unknown as { setHidden: (v: boolean) => void }).setHidden(true),
    )
    await hiddenPage.waitForFunction(
      () => (window as unknown as { statuses: string[] }).statuses.at(-1) === 'paused',
    )
    await hiddenPage.waitForTimeout(300)
    // Hidden: the first connection was dropped and no second request was made.
    expect(server.requests('browser-hidden')).toHaveLength(1)
    await hiddenPage.evaluate(() =>
      (window as unknown as { setHidden: (v: boolean) => void }).setHidden(false),
    )
    const outcome = await hiddenPage.evaluate(async () => {
      // biome-ignore lint/suspicious/noExplicitAny: test hooks on the page
      const w = window as any
      await w.subscription.done
      return { seen: w.seen as string[], statuses: w.statuses as string[], errors: w.errors }
    })
    expect(outcome.seen).toEqual(['snapshot:0', 'complete:1'])
    expect(outcome.statuses).toEqual([
      'connecting',
      'open',
      'paused',
      'reconnecting',
      'open',
      'closed',
    ])
    // Hiding the page is no problem to report.
    expect(outcome.errors).toEqual([])
    expect(server.requests('browser-hidden').map((h) => h['last-event-id'])).toEqual([
      undefined,
      'e:0',
    ])
    await hiddenPage.close()
  }, 15_000)
})

describe('the browser against the SSE server: its own EventSource, and resumeKey across a reload', () => {
  let http: Server
  let service: MemoryProgressService
  let origin: string
  /** The Last-Event-ID header of every request for the test's stream, in order. */
  const streamRequests: (string | undefined)[] = []
  beforeAll(async () => {
    service = new MemoryProgressService()
    const handle = createNodeProgressHandler(createProgressStreamServer({ service }))
    http = createServer((req, res) => {
      if (req.url === '/' || req.url === '/client.js') {
        const [body, type] =
          req.url === '/' ? [CLIENT_PAGE, 'text/html'] : [clientBundle, 'text/javascript']
        res.writeHead(200, { 'Content-Type': type }).end(body)
        return
      }
      if (req.url?.startsWith(progressStreamPath('resume'))) {
        const lastEventId = req.headers['last-event-id']
        streamRequests.push(Array.isArray(lastEventId) ? lastEventId.join() : lastEventId)
      }
      handle(req, res).catch((error: unknown) => res.destroy(error as Error))
    })
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
    origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    http.closeAllConnections()
    await new Promise((resolve) => http.close(resolve))
    await service.close()
  })

  it('receives the snapshot, every envelope and the terminal as default message events', async () => {
    await service.start('native')
    const esPage = await browser.newPage()
    await esPage.goto(`${origin}/`)
    const received = esPage.evaluate(
      (path) =>
        new Promise<{ types: string[]; ids: string[]; tags: string[] }>((resolve) => {
          const source = new EventSource(path)
          const types: string[] = []
          const ids: string[] = []
          const tags: string[] = []
          source.onmessage = (event) => {
            const envelope = JSON.parse(event.data)
            types.push(`${envelope.type}:${envelope.seq}`)
            ids.push(event.lastEventId)
            tags.push(envelope.tag ?? '')
            if (envelope.type === 'complete' || envelope.type === 'error') {
              source.close()
              resolve({ types, ids, tags })
            }
          }
        }),
      progressStreamPath('native'),
    )
    await expect.poll(() => service.diagnostics().subscriptions).toBe(1)
    await service.publishBatch('native', [
      { type: 'discovery', urls: ['https://a'] },
      { type: 'progress', delta: { processed: 1 } },
    ])
    await service.fail('native', { code: 'boom', message: 'it broke', retryable: false })
    const { types, ids, tags } = await received
    const { epoch } = (await service.getSnapshot('native')) ?? { epoch: '' }
    expect(types).toEqual(['snapshot:0', 'discovery:1', 'progress:2', 'error:3'])
    // The id is the position: epoch, seq and the event's tag (none before the first event).
    expect(tags[0]).toBe('')
    expect(new Set(tags.slice(1)).size).toBe(3)
    expect(ids).toEqual([
      `${epoch}:0`,
      `${epoch}:1:${tags[1]}`,
      `${epoch}:2:${tags[2]}`,
      `${epoch}:3:${tags[3]}`,
    ])
    await esPage.close()
  })

  it('resumes from the position stored before the reload, without a snapshot, and forgets it after the terminal', async () => {
    await service.start('resume')
    await service.publish('resume', { type: 'progress', delta: { processed: 1 } })
    const resumePage = await browser.newPage()
    // The page subscribes with a relative path: resolved against its location.
    const subscribe = async () => {
      await resumePage.waitForFunction(() => 'progressClient' in window)
      await resumePage.evaluate((path) => {
        // biome-ignore lint/suspicious/noExplicitAny: test hooks on the page
        const w = window as any
        w.seen = [] as string[]
        w.subscription = w.progressClient.subscribeProgress(path, {
          resumeKey: 'progress:resume',
          onEvent: (e: { type: string; seq: number }) => w.seen.push(`${e.type}:${e.seq}`),
        })
      }, progressStreamPath('resume'))
    }
    const seenOnPage = () =>
      resumePage.evaluate(() => (window as unknown as { seen: string[] }).seen)
    await resumePage.goto(`${origin}/`)
    await subscribe()
    await expect.poll(seenOnPage).toEqual(['snapshot:1'])
    await service.publish('resume', { type: 'discovery', urls: ['https://docs.example/a'] })
    await expect.poll(seenOnPage).toEqual(['snapshot:1', 'discovery:2'])
    const before = await resumePage.evaluate(() => ({
      // biome-ignore lint/suspicious/noExplicitAny: test hooks on the page
      delivered: (window as any).subscription.lastEventId as string,
      stored: sessionStorage.getItem('progress:resume'),
    }))
    expect(before.delivered).toMatch(/^[a-z0-9]+:2:[a-z0-9]+$/)
    expect(before.stored).toBe(before.delivered)

    await resumePage.reload()
    // Missed while the page reloads: the server must replay them after the stored position.
    await service.publish('resume', { type: 'progress', delta: { processed: 1 } })
    await subscribe()
    await expect.poll(seenOnPage).toEqual(['progress:3'])
    await service.complete('resume', { pages: 2 })
    const after = await resumePage.evaluate(async () => {
      // biome-ignore lint/suspicious/noExplicitAny: test hooks on the page
      const w = window as any
      const terminal = await w.subscription.done
      return {
        terminal: `${terminal.type}:${terminal.seq}`,
        seen: w.seen as string[],
        stored: sessionStorage.getItem('progress:resume'),
      }
    })
    expect(after).toEqual({
      terminal: 'complete:4',
      seen: ['progress:3', 'complete:4'],
      stored: null,
    })
    expect(streamRequests).toEqual([undefined, before.delivered])
    await resumePage.close()
  }, 20_000)
})
