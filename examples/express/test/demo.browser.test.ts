import { randomUUID } from 'node:crypto'
import { type Browser, launchChromium, type Page, screenshotPath } from '@docspasta/browser-testing'
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest'
import { deleteKeysUnder } from './support/deleteKeys.js'
import {
  card,
  connectionStatuses,
  envelopeLog,
  readCard,
  startCrawlFromPage,
  waitForPagesDone,
  waitForStatus,
} from './support/demoPage.js'
import { expectEachSeqOnceInOrder } from './support/seqOrder.js'
import { type DemoServer, startDemo } from './support/startDemo.js'

// The demo as a user runs it (`pnpm demo`: src/main.ts in its own process) and sees it (the page
// in Chromium). 120 pages, one in 9 failing: the exact totals every crawl must end with.
const PAGES = 120
const EXACT = { discovered: PAGES, processed: PAGES - Math.floor(PAGES / 9), failed: 13 }

let browser: Browser
const servers: DemoServer[] = []
const pages: Page[] = []
/** Uncaught page errors and 404s of every page: none, in every test. */
const problems: string[] = []

beforeAll(async () => {
  browser = await launchChromium()
}, 60_000)
afterAll(async () => {
  await browser?.close()
})
afterEach(async () => {
  for (const page of pages.splice(0)) await page.close()
  for (const server of servers.splice(0)) await server.process.stop('SIGKILL')
  expect(problems.splice(0)).toEqual([])
})

async function openPage(origin: string, hash = ''): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 900, height: 900 } })
  pages.push(page)
  page.on('pageerror', (error) => problems.push(error.message))
  page.on('response', (response) => {
    if (response.status() === 404) problems.push(`404 ${response.url()}`)
  })
  await page.goto(`${origin}/${hash}`)
  return page
}

async function start(env: Record<string, string>): Promise<DemoServer> {
  const server = await startDemo(env)
  servers.push(server)
  return server
}

describe('the demo in memory', () => {
  it('recovers from a cut connection and a killed worker, and ends exact', async () => {
    const server = await start({ PAGE_PAUSE_MS: '40' })
    const page = await openPage(server.origin)
    const crawlId = await startCrawlFromPage(page, '#start')

    await waitForPagesDone(page, crawlId, 10)
    await card(page, crawlId).locator('[data-action="cut"]').click()
    await expect
      .poll(() => connectionStatuses(page, crawlId), { timeout: 20_000 })
      .toEqual(expect.arrayContaining(['reconnecting']))
    // Back on the stream: the status after the reconnect is open again.
    await expect
      .poll(async () => (await connectionStatuses(page, crawlId)).at(-1), {
        timeout: 20_000,
      })
      .toBe('open')
    expect((await readCard(page, crawlId)).note).toContain('cut 1 connection')

    await card(page, crawlId).locator('[data-action="kill-worker"]').click()
    await expect.poll(async () => (await readCard(page, crawlId)).note).toMatch(/killed the worker/)
    await expect
      .poll(async () => (await readCard(page, crawlId)).note, { timeout: 30_000 })
      .toMatch(/restarted \(1×\)/)
    await waitForStatus(page, crawlId, 'completed')

    const final = await readCard(page, crawlId)
    expect(final).toMatchObject({ ...EXACT, outcome: `completed: ${PAGES} pages` })
    expect(final.connectionText).toBe('closed: the crawl is over')
    expect(await expectEachSeqOnceInOrder(await envelopeLog(page, crawlId))).toHaveLength(2)
    await page.screenshot({ path: screenshotPath(import.meta.url, 'express-memory-recovered') })
  }, 90_000)

  it('follows several crawls at once and shows why each failed', async () => {
    // A lease of 1.5 s (a third of STALE_AFTER_MS): a takeover within seconds, and no live
    // worker taken for dead on a loaded machine.
    const server = await start({ PAGE_PAUSE_MS: '40', STALE_AFTER_MS: '4500' })
    const page = await openPage(server.origin)
    const completing = await startCrawlFromPage(page, '#start')
    const breaking = await startCrawlFromPage(page, '#start-failing')
    const failedByHand = await startCrawlFromPage(page, '#start')
    const stalled = await startCrawlFromPage(page, '#start')

    await waitForPagesDone(page, failedByHand, 5)
    await card(page, failedByHand).locator('[data-action="fail"]').click()
    // Two kills: the first is taken over, the second is past the job's 2 attempts, so the
    // stall check fails the crawl once its heartbeats are missing for STALE_AFTER_MS.
    await waitForPagesDone(page, stalled, 5)
    // Each kill must reach a running worker (the last note is its answer, not a 409).
    const killWorker = async () => {
      await card(page, stalled).locator('[data-action="kill-worker"]').click()
      await expect
        .poll(async () => (await readCard(page, stalled)).note)
        .toMatch(/killed the worker[^→]*$/)
    }
    await killWorker()
    await expect
      .poll(async () => (await readCard(page, stalled)).note, { timeout: 30_000 })
      .toMatch(/restarted[^→]*$/)
    await waitForPagesDone(page, stalled, 5)
    await killWorker()

    await waitForStatus(page, completing, 'completed')
    await waitForStatus(page, breaking, 'failed')
    await waitForStatus(page, failedByHand, 'failed')
    await waitForStatus(page, stalled, 'failed')
    expect(await readCard(page, completing)).toMatchObject(EXACT)
    expect((await readCard(page, breaking)).outcome).toBe(
      'failed: page-broke-the-crawl: page 30 broke the crawl (failAtPage)',
    )
    expect((await readCard(page, failedByHand)).outcome).toBe(
      'failed: failed-from-page: someone pressed "Fail crawl"',
    )
    expect((await readCard(page, stalled)).outcome).toMatch(/^failed: stalled: /)
    for (const crawlId of [completing, breaking, failedByHand, stalled]) {
      await expectEachSeqOnceInOrder(await envelopeLog(page, crawlId))
    }
    await page.screenshot({
      path: screenshotPath(import.meta.url, 'express-memory-failures'),
      fullPage: true,
    })
  }, 90_000)
})

describe('the demo on Redis, two servers', () => {
  const prefix = `test:express-demo:${randomUUID()}`
  afterAll(() => deleteKeysUnder(inject('redisUrl'), prefix))

  it('survives a kill -9 of the server that runs the crawl: pages reconnect, it is taken over, and ends exact', async () => {
    const env = { REDIS_URL: inject('redisUrl'), DEMO_PREFIX: prefix, PAGE_PAUSE_MS: '60' }
    const pair = await Promise.all([start(env), start(env)])
    const first = await openPage(pair[0].origin)
    const crawlId = await startCrawlFromPage(first, '#start')
    // Either server may have claimed the crawl; the one that runs it is the one to kill.
    const runs = async (server: DemoServer) => {
      const answer = await fetch(`${server.origin}/api/workers`)
      return ((await answer.json()) as { running: string[] }).running.includes(crawlId)
    }
    await expect.poll(async () => (await runs(pair[0])) || (await runs(pair[1]))).toBe(true)
    const [doomed, survivor] = (await runs(pair[0])) ? pair : [pair[1], pair[0]]
    // A page on each server; the same crawl, from the page's address.
    const page = doomed === pair[0] ? first : await openPage(doomed.origin, `#${crawlId}`)
    const other = doomed === pair[0] ? await openPage(survivor.origin, `#${crawlId}`) : first

    await waitForPagesDone(page, crawlId, 20)
    expect(await doomed.process.stop('SIGKILL')).toBe(null)
    await expect
      .poll(async () => (await readCard(page, crawlId)).connectionText, {
        timeout: 20_000,
      })
      .toMatch(/^reconnecting/)
    await start({ ...env, PORT: String(doomed.port) })

    await waitForStatus(page, crawlId, 'completed')
    await waitForStatus(other, crawlId, 'completed')
    for (const view of [page, other]) {
      expect(await readCard(view, crawlId)).toMatchObject({
        ...EXACT,
        outcome: `completed: ${PAGES} pages`,
      })
      // The dead worker's run, then the run that took it over.
      expect(await expectEachSeqOnceInOrder(await envelopeLog(view, crawlId))).toHaveLength(2)
    }
    expect(await connectionStatuses(page, crawlId)).toContain('reconnecting')
    expect((await readCard(page, crawlId)).note).toMatch(/restarted \(1×\)/)
    await page.screenshot({ path: screenshotPath(import.meta.url, 'express-redis-server-killed') })
  }, 90_000)
})
