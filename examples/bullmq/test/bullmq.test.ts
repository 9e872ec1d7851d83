// The example as a user runs it: the server and the workers as processes of their own, on the
// shared Redis, a page in Chromium. The tests that kill a process start their own, under key
// prefixes of their own (so that no job of another test is taken for stalled); the others share
// one server and one worker. Every process is stopped by pid however a test ends.
import './support/providedContext.js'
import { launchChromium, type NodeProcess, screenshotPath } from '@docspasta/browser-testing'
import { RedisProgressService } from '@docspasta/progress-redis'
import { Queue } from 'bullmq'
import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest'
import { CRAWL_QUEUE } from '../src/crawlQueue.js'
import { expectedFailedPages } from '../src/simulatedCrawl.js'
import {
  type CrawlPageReading,
  type Page,
  readCrawlPage,
  startCrawl,
  WAIT_MS,
  waitForConnection,
  waitForCrawlEnd,
  waitForFinishedPages,
} from './support/crawlPage.js'
import { envelopeOrderProblems } from './support/envelopeOrder.js'
import {
  type ExampleEnv,
  startServer,
  startWorker,
  stopProcess,
} from './support/exampleProcesses.js'

const TEST_TIMEOUT_MS = 120_000
const redisUrl = inject('redisUrl')
const runPrefix = `docspasta-test:bullmq:${Math.random().toString(36).slice(2, 10)}`

let redis: Redis
let browser: Awaited<ReturnType<typeof launchChromium>>
let stackNumber = 0
/** What the running test started, stopped in afterEach. */
const testCleanups: Cleanups = []
/** What a describe block started for its tests, stopped in its afterAll. */
type Cleanups = (() => Promise<unknown>)[]

beforeAll(async () => {
  redis = new Redis(redisUrl)
  browser = await launchChromium()
})

afterEach(() => runCleanups(testCleanups), 90_000)

afterAll(async () => {
  await browser?.close()
  if (redis) {
    await deleteKeys(runPrefix)
    await redis.quit()
  }
}, 60_000)

/** All at once (each process takes its own time to shut down); every one runs, even if some fail. */
async function runCleanups(cleanups: Cleanups): Promise<void> {
  const results = await Promise.allSettled(cleanups.splice(0).map((cleanup) => cleanup()))
  const failed = results.find((result) => result.status === 'rejected')
  if (failed) throw failed.reason
}

/** The keys under a prefix, by SCAN (never KEYS: Redis is shared). */
async function scanKeys(prefix: string): Promise<string[]> {
  const found: string[] = []
  let cursor = '0'
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000)
    cursor = next
    found.push(...keys)
  } while (cursor !== '0')
  return found
}

/** Deletes this run's keys, and only those (never FLUSHALL). */
async function deleteKeys(prefix: string): Promise<void> {
  const keys = await scanKeys(prefix)
  if (keys.length > 0) await redis.del(...keys)
}

type Server = NodeProcess & { origin: string }

/** A server and workers on prefixes of their own, with a progress service to read the store. */
interface ExampleStack {
  env: ExampleEnv
  queuePrefix: string
  progressPrefix: string
  store: RedisProgressService
  app: Server
  workers: NodeProcess[]
}

/**
 * Starts the server and `workers` workers at once, on new prefixes, with `overrides` of the
 * environment; registers everything that started in `cleanups`, even when another part failed.
 */
async function startStack(
  cleanups: Cleanups,
  workers: number,
  overrides: ExampleEnv = {},
): Promise<ExampleStack> {
  stackNumber += 1
  const progressPrefix = `${runPrefix}:${stackNumber}:progress`
  const queuePrefix = `${runPrefix}:${stackNumber}:queue`
  const env: ExampleEnv = {
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: queuePrefix,
    PROGRESS_PREFIX: progressPrefix,
    PAGE_PAUSE_MS: '60',
    ...overrides,
  }
  const store = new RedisProgressService({ redis, prefix: progressPrefix })
  cleanups.push(() => store.close())
  const { app, workers: started } = await startProcesses(cleanups, env, workers)
  return { env, queuePrefix, progressPrefix, store, app, workers: started }
}

/** The server (on `port`, default any) and `workers` workers of `env`, started at once. */
async function startProcesses(
  cleanups: Cleanups,
  env: ExampleEnv,
  workers: number,
  port?: number,
): Promise<{ app: Server; workers: NodeProcess[] }> {
  const started = await Promise.allSettled([
    startServer(env, port),
    ...Array.from({ length: workers }, () => startWorker(env)),
  ])
  for (const result of started) {
    if (result.status === 'fulfilled') cleanups.push(() => stopProcess(result.value))
  }
  const processes = started.map((result) => {
    if (result.status === 'rejected') throw result.reason
    return result.value
  })
  const [app, ...rest] = processes as [NodeProcess, ...NodeProcess[]]
  return {
    app: Object.assign(app, { origin: `http://127.0.0.1:${app.readyValue}` }),
    workers: rest,
  }
}

function only<T>(items: readonly T[]): T {
  const [item] = items
  if (item === undefined || items.length !== 1) throw new Error(`expected one, got ${items.length}`)
  return item
}

/** A page in a context of its own, with every console error and uncaught exception kept. */
async function openPage(url: string): Promise<{ page: Page; consoleErrors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 900, height: 1000 } })
  testCleanups.push(() => context.close())
  const page = await context.newPage()
  const consoleErrors: string[] = []
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text())
  })
  page.on('pageerror', (error) => consoleErrors.push(String(error)))
  await page.goto(url)
  return { page, consoleErrors }
}

/** The final page of a crawl of `pages` that completed: 100 %, exact totals, seqs in order. */
function expectCompletedExactly(reading: CrawlPageReading, pages: number) {
  const failed = expectedFailedPages(pages)
  expect(reading).toMatchObject({
    status: 'completed',
    percent: '100 %',
    discovered: pages,
    processed: pages - failed,
    failed,
    errorCode: '',
    connection: 'closed',
  })
  expect(reading.processed + reading.failed).toBe(reading.discovered)
  expect(reading.outcome).toBe(
    `Completed: pages ${pages}, processed ${pages - failed}, failed ${failed}`,
  )
  expect(envelopeOrderProblems(reading.envelopes)).toEqual([])
  expect(reading.envelopes.at(-1)?.type).toBe('complete')
}

it('checks the order of what a page applied: a repeated or skipped seq, an unannounced epoch', () => {
  const entry = (
    seq: number,
    extra: Partial<Parameters<typeof envelopeOrderProblems>[0][0]> = {},
  ) => ({
    epoch: 'a',
    seq,
    type: 'progress' as const,
    coalesced: false,
    resync: false,
    ...extra,
  })
  const snapshot = entry(0, { type: 'snapshot' })
  const end = (seq: number) => entry(seq, { type: 'complete' })
  expect(envelopeOrderProblems([snapshot, entry(1), entry(2), end(3)])).toEqual([])
  expect(
    envelopeOrderProblems([snapshot, entry(1), entry(3, { coalesced: true }), end(4)]),
  ).toEqual([])
  expect(envelopeOrderProblems([snapshot, entry(1), entry(1), end(2)])).toEqual([
    '#2 (progress a:1): follows seq 1',
  ])
  expect(envelopeOrderProblems([snapshot, entry(2), end(3)])).toEqual([
    '#1 (progress a:2): follows seq 0',
  ])
  const restart = entry(0, { epoch: 'b', type: 'snapshot', resync: true })
  expect(envelopeOrderProblems([snapshot, entry(1), restart, { ...end(1), epoch: 'b' }])).toEqual(
    [],
  )
  expect(
    envelopeOrderProblems([
      snapshot,
      entry(1),
      { ...restart, resync: false },
      { ...end(1), epoch: 'b' },
    ]),
  ).toEqual(['#2 (snapshot b:0): a new epoch without resync'])
  expect(envelopeOrderProblems([snapshot, entry(1)])).toEqual(['0 terminal envelopes'])
  expect(envelopeOrderProblems([snapshot, entry(1)], { ended: false })).toEqual([])
})

describe('one server and one worker', () => {
  const suiteCleanups: Cleanups = []
  let stack: ExampleStack
  beforeAll(async () => {
    stack = await startStack(suiteCleanups, 1)
  }, 90_000)
  afterAll(() => runCleanups(suiteCleanups), 90_000)

  it(
    'shows a crawl through to 100 % with exact totals, every seq applied once in order',
    async () => {
      const pages = 24
      const { page, consoleErrors } = await openPage(`${stack.app.origin}/?pages=${pages}`)

      const crawlId = await startCrawl(page, '#start')
      await waitForCrawlEnd(page)
      const reading = await readCrawlPage(page)
      await page.screenshot({ path: screenshotPath(import.meta.url, 'bullmq-completed') })

      expectCompletedExactly(reading, pages)
      expect(reading.crawlId).toBe(crawlId)
      expect(reading.restarts).toBe(0)
      expect(reading.restartedNote).toBeUndefined()
      expect(reading.statuses).toEqual(['connecting', 'open', 'closed'])
      expect(reading.errors).toEqual([])
      // The recent pages list shows both outcomes.
      expect(reading.recentOutcomes).toContain('processed')
      expect(reading.recentOutcomes).toContain('failed')
      // The page agrees with the store.
      const snapshot = await stack.store.getSnapshot(crawlId)
      expect(snapshot).toMatchObject({
        status: 'completed',
        totals: {
          discovered: reading.discovered,
          processed: reading.processed,
          failed: reading.failed,
        },
      })
      expect(snapshot?.seq).toBe(reading.envelopes.at(-1)?.seq)
      expect(only(stack.workers).output()).toContain(
        `crawl ${crawlId} attempt 1/3 ended: completed`,
      )
      expect(consoleErrors).toEqual([])
    },
    TEST_TIMEOUT_MS,
  )

  it(
    'shows a failing crawl restarted by each retry, then its error code and message',
    async () => {
      const { page, consoleErrors } = await openPage(`${stack.app.origin}/?pages=20&failAtPage=6`)

      const crawlId = await startCrawl(page, '#start-failing')
      await waitForCrawlEnd(page)
      const reading = await readCrawlPage(page)
      await page.screenshot({ path: screenshotPath(import.meta.url, 'bullmq-failed') })

      expect(reading).toMatchObject({
        status: 'failed',
        errorCode: 'simulated-crash',
        outcome: 'Failed: simulated-crash: the crawler crashed on page 6 (failAtPage)',
        connection: 'closed',
        // Pages 1 to 5 of the last attempt: each attempt starts from zero.
        processed: 5,
        failed: 0,
      })
      // Attempts 1 and 2 each restarted the crawl; the third failed it.
      expect(reading.restarts).toBe(2)
      expect(reading.restartedNote).toMatch(/^Restarted by a retry \(2×\)/)
      expect(envelopeOrderProblems(reading.envelopes)).toEqual([])
      expect(reading.envelopes.at(-1)?.type).toBe('error')
      const output = only(stack.workers).output()
      for (const attempt of [1, 2]) {
        expect(output).toContain(`crawl ${crawlId} attempt ${attempt}/3 ended: retry`)
      }
      expect(output).toContain(`crawl ${crawlId} attempt 3/3 ended: failed`)
      expect(consoleErrors).toEqual([])
    },
    TEST_TIMEOUT_MS,
  )

  it(
    'answers a bad start request 400 with a typed error, and starts and queues nothing',
    async () => {
      const queue = new Queue(CRAWL_QUEUE, {
        connection: { url: redisUrl },
        prefix: stack.queuePrefix,
      })
      testCleanups.push(() => queue.close())
      const jobCount = async () =>
        Object.values(await queue.getJobCounts()).reduce((sum, count) => sum + count, 0)
      const post = (body: string) =>
        fetch(`${stack.app.origin}/api/crawls`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        })
      const jobsBefore = await jobCount()
      const keysBefore = (await scanKeys(stack.progressPrefix)).length

      const refused = [
        [JSON.stringify({ pages: 0 }), { code: 'invalid-request', field: 'pages' }],
        [JSON.stringify({ pages: 501 }), { code: 'invalid-request', field: 'pages' }],
        [
          JSON.stringify({ pages: 10, failAtPage: 11 }),
          { code: 'invalid-request', field: 'failAtPage' },
        ],
        [JSON.stringify({ pages: 10, depth: 2 }), { code: 'invalid-request', field: 'depth' }],
        [JSON.stringify([1]), { code: 'invalid-request' }],
        ['{"pages":', { code: 'invalid-json' }],
      ] as const
      for (const [body, error] of refused) {
        const response = await post(body)
        expect(response.status).toBe(400)
        expect(await response.json()).toEqual({ error: { ...error, message: expect.any(String) } })
      }
      expect(await jobCount()).toBe(jobsBefore)
      expect(await scanKeys(stack.progressPrefix)).toHaveLength(keysBefore)

      // A valid request queues its crawl, under the crawl's id, with what it asked for.
      const accepted = await post(JSON.stringify({ pages: 2 }))
      expect(accepted.status).toBe(201)
      const { crawlId, streamUrl } = (await accepted.json()) as Record<string, string>
      expect(streamUrl).toBe(`/api/crawl-v2/${crawlId}/stream`)
      expect((await queue.getJob(crawlId ?? ''))?.data).toEqual({ crawlId, pages: 2 })

      const favicon = await fetch(`${stack.app.origin}/favicon.ico`)
      expect(favicon.status).toBe(204)
    },
    TEST_TIMEOUT_MS,
  )

  // Last in this block: it stops the block's processes.
  it(
    'shuts down on SIGTERM: the server ends its streams properly, the worker finishes its crawl',
    async () => {
      const pages = 40
      const { page } = await openPage(`${stack.app.origin}/?pages=${pages}`)
      const crawlId = await startCrawl(page, '#start')
      await waitForFinishedPages(page, 3)

      const [serverExit, workerExit] = await Promise.all([
        stopProcess(stack.app),
        stopProcess(only(stack.workers)),
      ])
      expect({ serverExit, workerExit }).toEqual({ serverExit: 0, workerExit: 0 })
      await waitForConnection(page, 'reconnecting')
      await page.screenshot({ path: screenshotPath(import.meta.url, 'bullmq-shut-down') })

      // The response ended (not a broken connection): the page saw the stream end, reconnects.
      const reading = await readCrawlPage(page)
      expect(reading.errors[0]).toBe('the stream ended before its terminal envelope')
      expect(envelopeOrderProblems(reading.envelopes, { ended: false })).toEqual([])
      // The worker ended its crawl before it exited.
      const failed = expectedFailedPages(pages)
      expect(await stack.store.getSnapshot(crawlId)).toMatchObject({
        status: 'completed',
        totals: { discovered: pages, processed: pages - failed, failed },
      })
    },
    TEST_TIMEOUT_MS,
  )
})

it(
  'recovers from a server killed mid-crawl: the page reconnects to its restart and ends exact',
  async () => {
    const pages = 120
    const { env, store, app: first } = await startStack(testCleanups, 1)
    const port = Number(first.readyValue)
    const { page } = await openPage(`${first.origin}/?pages=${pages}`)

    const crawlId = await startCrawl(page, '#start')
    await waitForFinishedPages(page, 5)
    expect(await first.stop('SIGKILL')).toBeNull()
    // The worker keeps going while no server runs: the crawl's seq moves on in the store.
    const whenKilled = await store.getSnapshot(crawlId)
    expect(whenKilled?.status).toBe('running')
    await expect
      .poll(async () => (await store.getSnapshot(crawlId))?.seq, { timeout: WAIT_MS })
      .toBeGreaterThan(whenKilled?.seq ?? Number.POSITIVE_INFINITY)

    await waitForConnection(page, 'reconnecting')
    await page.waitForFunction(
      () => /^reconnecting in \d+ s/.test(document.getElementById('connection')?.textContent ?? ''),
      undefined,
      { timeout: WAIT_MS },
    )
    await page.screenshot({ path: screenshotPath(import.meta.url, 'bullmq-server-down') })

    await startProcesses(testCleanups, env, 0, port)
    await waitForCrawlEnd(page)
    const reading = await readCrawlPage(page)
    await page.screenshot({ path: screenshotPath(import.meta.url, 'bullmq-server-restarted') })

    expectCompletedExactly(reading, pages)
    expect(reading.restarts).toBe(0)
    // Resumed with Last-Event-ID: what it missed was replayed, no second snapshot.
    expect(reading.envelopes.filter((entry) => entry.type === 'snapshot')).toHaveLength(1)
    const reconnecting = reading.statuses.indexOf('reconnecting')
    expect(reconnecting).toBeGreaterThan(0)
    expect(reading.statuses.slice(reconnecting)).toContain('open')
    expect(reading.statuses.at(-1)).toBe('closed')
  },
  TEST_TIMEOUT_MS,
)

it(
  'moves the job of a worker killed mid-crawl to the live one: the crawl restarts and ends exact',
  async () => {
    const pages = 40
    // The default STALE_AFTER_MS: BullMQ's re-run must come before the stall check.
    const { app, workers } = await startStack(testCleanups, 2)
    const { page, consoleErrors } = await openPage(`${app.origin}/?pages=${pages}`)

    const crawlId = await startCrawl(page, '#start')
    await waitForFinishedPages(page, 3)
    const started = `crawl ${crawlId} attempt 1/3 started`
    const busy = workers.find((candidate) => candidate.output().includes(started))
    const live = workers.find((candidate) => candidate !== busy)
    if (!busy || !live) throw new Error(`no worker logged "${started}"`)
    expect(await busy.stop('SIGKILL')).toBeNull()

    await waitForCrawlEnd(page)
    const reading = await readCrawlPage(page)
    await page.screenshot({ path: screenshotPath(import.meta.url, 'bullmq-worker-killed') })

    expectCompletedExactly(reading, pages)
    expect(live.output()).toContain(`crawl ${crawlId} attempt 2/3 started`)
    expect(live.output()).toContain(`crawl ${crawlId} attempt 2/3 ended: completed`)
    // The re-run started the crawl over: one resync, shown on the page.
    expect(reading.restarts).toBe(1)
    expect(reading.envelopes.filter((entry) => entry.resync)).toHaveLength(1)
    expect(reading.restartedNote).toMatch(/^Restarted by a retry \(1×\)/)
    expect(consoleErrors).toEqual([])
  },
  TEST_TIMEOUT_MS,
)

it(
  'fails the crawl as stalled when its only worker dies, and the page shows it',
  async () => {
    const pages = 40
    const { app, workers, store } = await startStack(testCleanups, 1, { STALE_AFTER_MS: '3000' })
    const { page, consoleErrors } = await openPage(`${app.origin}/?pages=${pages}`)

    const crawlId = await startCrawl(page, '#start')
    await waitForFinishedPages(page, 3)
    expect(await only(workers).stop('SIGKILL')).toBeNull()

    await waitForCrawlEnd(page)
    const reading = await readCrawlPage(page)
    await page.screenshot({ path: screenshotPath(import.meta.url, 'bullmq-stalled') })

    expect(reading).toMatchObject({ status: 'failed', errorCode: 'stalled', connection: 'closed' })
    expect(reading.outcome).toMatch(/^Failed: stalled: /)
    expect(reading.processed + reading.failed).toBeLessThan(pages)
    expect(reading.restarts).toBe(0)
    expect(envelopeOrderProblems(reading.envelopes)).toEqual([])
    expect(reading.envelopes.at(-1)?.type).toBe('error')
    expect(await store.getSnapshot(crawlId)).toMatchObject({
      status: 'failed',
      terminal: { type: 'error', error: { code: 'stalled', retryable: true } },
    })
    expect(consoleErrors).toEqual([])
  },
  TEST_TIMEOUT_MS,
)
