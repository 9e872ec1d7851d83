import { randomUUID } from 'node:crypto'
import { launchChromium, type NodeProcess, screenshotPath } from '@docspasta/browser-testing'
import { RedisProgressService } from '@docspasta/progress-redis'
import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest'
import { DEFAULT_CRAWL_PAGES } from '../src/lib/crawlRequest'
import {
  assertBuilt,
  type ExampleEnv,
  freePort,
  startNext,
  startWorker,
  stopProcess,
} from './support/exampleProcesses'
import {
  deliveredEnvelopes,
  type Page,
  readShownCrawl,
  waitForPagesDone,
  waitForShown,
  watchPageProblems,
} from './support/progressPage'

type Browser = Awaited<ReturnType<typeof launchChromium>>

// Generous bounds for a loaded 2-core machine: each wait inside polls for its condition.
const TEST_TIMEOUT_MS = 120_000
const HOOK_TIMEOUT_MS = 90_000

// Every seventh page of a simulated crawl fails (src/lib/simulatedCrawl.ts).
const FAILED_PAGES = Math.floor(DEFAULT_CRAWL_PAGES / 7)

let browser: Browser
const processes = new Set<NodeProcess>()
const pages = new Set<Page>()

beforeAll(async () => {
  assertBuilt()
  browser = await launchChromium()
}, HOOK_TIMEOUT_MS)

async function closePages(): Promise<void> {
  for (const page of pages) await page.close()
  pages.clear()
}

afterEach(closePages)

afterAll(async () => {
  await browser?.close()
})

async function track(started: Promise<NodeProcess>): Promise<NodeProcess> {
  const child = await started
  processes.add(child)
  return child
}

/** Closes the pages first, so that no open stream holds a server's shutdown. */
async function stopAll(): Promise<void> {
  await closePages()
  for (const child of processes) await stopProcess(child)
  processes.clear()
}

async function openPage(origin: string): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage()
  pages.add(page)
  const problems = watchPageProblems(page)
  await page.goto(origin)
  return { page, problems }
}

/** Checks the client's delivery log: one epoch, every envelope once and in order, one terminal. */
async function expectDeliveredOnce(page: Page, crawlId: string, lastSeq: number) {
  const envelopes = await deliveredEnvelopes(page, crawlId)
  expect(envelopes.length).toBeGreaterThan(1)
  expect(new Set(envelopes.map((e) => e.epoch)).size).toBe(1)
  const seqs = envelopes.map((e) => e.seq)
  const increasing = seqs.every((seq, i) => i === 0 || seq > (seqs[i - 1] ?? Number.NaN))
  expect(increasing, `seqs delivered: ${seqs.join(',')}`).toBe(true)
  expect(seqs.at(-1)).toBe(lastSeq)
  expect(envelopes.filter((e) => e.type === 'complete' || e.type === 'error')).toHaveLength(1)
  return envelopes
}

describe('memory mode: crawls run in the Next process', () => {
  let origin = ''
  const env: ExampleEnv = { CRAWL_PAGE_DELAY_MS: '30' }

  beforeAll(async () => {
    const port = await freePort()
    await track(startNext(port, env))
    origin = `http://127.0.0.1:${port}`
  }, HOOK_TIMEOUT_MS)
  afterAll(stopAll, HOOK_TIMEOUT_MS)

  it('reaches 100 % with exact totals, each envelope applied once, and no failed request', {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const { page, problems } = await openPage(origin)
    await page.click('#start-crawl')
    await waitForShown(page, 'status', 'completed')

    const shown = await readShownCrawl(page)
    expect(shown).toMatchObject({
      status: 'completed',
      discovered: DEFAULT_CRAWL_PAGES,
      processed: DEFAULT_CRAWL_PAGES - FAILED_PAGES,
      failed: FAILED_PAGES,
      percent: 100,
    })
    expect(await page.textContent('#percent')).toBe('100 %')
    expect(await page.textContent('#outcome')).toContain(`Completed: ${DEFAULT_CRAWL_PAGES} pages`)
    const envelopes = await expectDeliveredOnce(page, shown.crawlId, shown.seq)
    expect(envelopes.at(-1)?.type).toBe('complete')
    // The latest pages, with their outcomes: pages 28 and 35 of the last twenty failed.
    expect(await page.locator('#recent li[data-outcome="failed"]').count()).toBeGreaterThan(0)
    expect(await page.locator('#recent li[data-outcome="processed"]').count()).toBeGreaterThan(0)
    await waitForShown(page, 'connection', 'closed')
    expect(await page.textContent('#connection')).toContain('closed: the crawl ended')
    // No favicon 404, no font from the network, no error in the page.
    expect(problems).toEqual([])
    await page.screenshot({ path: screenshotPath(import.meta.url, 'memory-completed') })

    // HEAD on the stream answers with its headers at once and opens no stream.
    const streamUrl = `${origin}/api/crawl-v2/${shown.crawlId}/stream`
    const head = await fetch(streamUrl, { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(head.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
  })

  it('shows the error code and message of a crawl that failed', {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const { page, problems } = await openPage(origin)
    await page.click('#start-failing-crawl')
    await waitForShown(page, 'status', 'failed')

    const shown = await readShownCrawl(page)
    // "Start failing crawl" crashes at page 12: pages 1 to 11 were done, page 7 failed.
    expect(shown).toMatchObject({
      status: 'failed',
      errorCode: 'simulated-crash',
      processed: 10,
      failed: 1,
    })
    expect(shown.percent).toBeLessThan(100)
    expect(await page.textContent('#outcome-code')).toBe('simulated-crash')
    expect(await page.textContent('#outcome-message')).toBe(
      'page 12 crashed the crawler (failAtPage asked for it)',
    )
    const envelopes = await expectDeliveredOnce(page, shown.crawlId, shown.seq)
    expect(envelopes.at(-1)?.type).toBe('error')
    expect(problems).toEqual([])
    await page.screenshot({ path: screenshotPath(import.meta.url, 'memory-failed') })
  })
})

describe('Redis mode: a BullMQ worker runs crawls, the Next server only streams them', () => {
  const base = `docspasta-test:example-next:${randomUUID().slice(0, 8)}`
  const env: ExampleEnv = {
    REDIS_URL: inject('redisUrl'),
    PROGRESS_PREFIX: `${base}:progress`,
    BULLMQ_PREFIX: `${base}:bull`,
    // 40 pages in about 10 s: time to kill the server and start it again mid-crawl.
    CRAWL_PAGE_DELAY_MS: '250',
  }
  let redis: Redis
  let progress: RedisProgressService

  beforeAll(() => {
    redis = new Redis(inject('redisUrl'))
    progress = new RedisProgressService({ redis, prefix: env.PROGRESS_PREFIX })
  })
  afterEach(stopAll, HOOK_TIMEOUT_MS)
  afterAll(async () => {
    await progress?.close()
    if (redis) {
      for (const key of await keysUnder(redis, base)) await redis.del(key)
      await redis.quit()
    }
  })

  it('answers 400 with a typed error for a bad body and starts nothing', {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const port = await freePort()
    await track(startNext(port, env))
    for (const [body, code] of [
      ['{"pages":0}', 'invalid-input'],
      ['{"pages":10,"failAtPage":11}', 'invalid-input'],
      ['{"failAt":3}', 'invalid-input'],
      ['[1]', 'invalid-input'],
      ['not json', 'invalid-json'],
    ] as const) {
      const response = await fetch(`http://127.0.0.1:${port}/api/crawls`, { method: 'POST', body })
      expect(response.status, body).toBe(400)
      const answer = (await response.json()) as { error: { code: string; message: string } }
      expect(answer.error.code, body).toBe(code)
      expect(answer.error.message.length).toBeGreaterThan(0)
    }
    // No crawl state and no queued job: the answer came before anything was written.
    expect(await keysUnder(redis, base)).toEqual([])
  })

  it('keeps crawling while the Next server is killed; the page reconnects and ends exact', {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    await track(startWorker(env))
    const port = await freePort()
    const origin = `http://127.0.0.1:${port}`
    let next = await track(startNext(port, env))
    const { page, problems } = await openPage(origin)
    await page.click('#start-crawl')
    await waitForShown(page, 'connection', 'open')
    await waitForPagesDone(page, 5)
    const { crawlId } = await readShownCrawl(page)

    // SIGKILL by pid: no shutdown, the open stream just breaks.
    await next.stop('SIGKILL')
    processes.delete(next)
    await waitForShown(page, 'connection', 'reconnecting')
    expect(await page.textContent('#connection')).toMatch(/reconnecting/)
    const atKill = (await progress.getSnapshot(crawlId))?.totals
    expect(atKill).toBeDefined()
    // The worker goes on without the server: its pages keep reaching Redis.
    await expect
      .poll(
        async () => {
          const totals = (await progress.getSnapshot(crawlId))?.totals
          return (totals?.processed ?? 0) + (totals?.failed ?? 0)
        },
        { timeout: 30_000, interval: 100 },
      )
      .toBeGreaterThanOrEqual((atKill?.processed ?? 0) + (atKill?.failed ?? 0) + 3)
    await page.screenshot({ path: screenshotPath(import.meta.url, 'redis-reconnecting') })

    next = await track(startNext(port, env))
    await waitForShown(page, 'status', 'completed')
    const shown = await readShownCrawl(page)
    expect(shown).toMatchObject({
      crawlId,
      discovered: DEFAULT_CRAWL_PAGES,
      processed: DEFAULT_CRAWL_PAGES - FAILED_PAGES,
      failed: FAILED_PAGES,
      percent: 100,
    })
    await expectDeliveredOnce(page, crawlId, shown.seq)
    expect(await progress.getSnapshot(crawlId)).toMatchObject({
      status: 'completed',
      seq: shown.seq,
      totals: { discovered: shown.discovered, processed: shown.processed, failed: shown.failed },
    })
    // Only the stream's requests failed, while the server was down.
    const streamPath = `/api/crawl-v2/${crawlId}/stream`
    expect(problems.filter((problem) => !problem.includes(streamPath))).toEqual([])
    await page.screenshot({ path: screenshotPath(import.meta.url, 'redis-recovered') })
  })
})

/** Keys under the test's prefix, by SCAN (never KEYS). */
async function keysUnder(redis: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = []
  let cursor = '0'
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000)
    cursor = next
    keys.push(...batch)
  } while (cursor !== '0')
  return keys
}
