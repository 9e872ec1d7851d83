import type { launchChromium } from '@docspasta/browser-testing'
import type { LoggedEnvelope } from '../../src/components/envelopeLog'

type Browser = Awaited<ReturnType<typeof launchChromium>>
export type Page = Awaited<ReturnType<Browser['newPage']>>

/** What the page shows of its crawl, from the data attributes of `#crawl`. */
export interface ShownCrawl {
  crawlId: string
  status: string
  connection: string
  discovered: number
  processed: number
  failed: number
  percent: number
  seq: number
  errorCode: string | null
}

const WAIT_MS = 60_000

export async function readShownCrawl(page: Page): Promise<ShownCrawl> {
  return page.$eval('#crawl', (element) => {
    const data = (element as HTMLElement).dataset
    return {
      crawlId: data.crawlId ?? '',
      status: data.status ?? '',
      connection: data.connection ?? '',
      discovered: Number(data.discovered),
      processed: Number(data.processed),
      failed: Number(data.failed),
      percent: Number(data.percent),
      seq: Number(data.seq),
      errorCode: data.errorCode ?? null,
    }
  })
}

/** Waits until `#crawl` has the attribute value, e.g. `('status', 'completed')`. */
export async function waitForShown(page: Page, name: string, value: string): Promise<void> {
  await page.waitForFunction(
    ([attribute, expected]) =>
      document.querySelector<HTMLElement>('#crawl')?.dataset[attribute] === expected,
    [name, value] as const,
    { timeout: WAIT_MS },
  )
}

/** Waits until the page shows at least `count` pages done (processed + failed). */
export async function waitForPagesDone(page: Page, count: number): Promise<void> {
  await page.waitForFunction(
    (atLeast) => {
      const data = document.querySelector<HTMLElement>('#crawl')?.dataset
      return Number(data?.processed) + Number(data?.failed) >= atLeast
    },
    count,
    { timeout: WAIT_MS },
  )
}

/** The envelopes the client delivered for the crawl (the component's onEvent log). */
export async function deliveredEnvelopes(page: Page, crawlId: string): Promise<LoggedEnvelope[]> {
  return page.evaluate((id) => window.__progressEnvelopes?.[id] ?? [], crawlId)
}

/**
 * Collects what went wrong in the page: responses of 400 and above, failed requests, uncaught
 * errors and console errors. A missing favicon or a font from the network shows up here.
 */
export function watchPageProblems(page: Page): string[] {
  const problems: string[] = []
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`${response.status()} ${response.url()}`)
  })
  page.on('requestfailed', (request) => {
    const reason = request.failure()?.errorText
    // The client aborts its own stream request once the terminal event arrived: not a problem.
    if (reason === 'net::ERR_ABORTED' && new URL(request.url()).pathname.endsWith('/stream')) return
    problems.push(`failed ${request.url()}: ${reason}`)
  })
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
  // React's hydration and key warnings, and the browser's own reports of failed loads.
  page.on('console', (message) => {
    if (message.type() === 'error') {
      problems.push(`console: ${message.text()} (${message.location().url})`)
    }
  })
  return problems
}
