import { setTimeout as delay } from 'node:timers/promises'
import type { CompleteStats, CrawlJob } from '@docspasta/progress-core'
import type { CrawlRequest } from './crawlRequest'

export interface SimulatedCrawlOptions extends CrawlRequest {
  /** The time each page takes, so that a person (or a test) can watch the crawl. */
  pageDelayMs: number
}

const SITE = 'https://docs.example'
/** Every how many pages one fails (an HTTP error the crawl records and goes on after). */
const FAIL_EVERY = 7
/** Links the root page lists. */
const ROOT_LINKS = 3

/**
 * The crash of `failAtPage`. Its `code` and `retryable` are what runCrawlJob's describeJobError
 * puts in the crawl's error: a client shows the code and the message, never a stack.
 */
export class SimulatedCrashError extends Error {
  readonly code = 'simulated-crash'
  // A crash that would happen again: no attempt is left to a retry.
  readonly retryable = false

  constructor(page: number) {
    super(`page ${page} crashed the crawler (failAtPage asked for it)`)
    this.name = 'SimulatedCrashError'
  }
}

/**
 * A crawl in miniature, run by runCrawlJob: the root lists a few links, every page then yields
 * up to two links nobody has found yet, until `pages` are discovered; every seventh page fails.
 * Each page is discovered before it is processed, so a viewer never sees more done than found.
 */
export async function runSimulatedCrawl(
  { reporter }: CrawlJob,
  options: SimulatedCrawlOptions,
): Promise<CompleteStats> {
  const { pages, failAtPage, pageDelayMs } = options
  let found = 0
  const discover = (count: number) => {
    const first = found + 1
    const urls = Array.from({ length: Math.min(count, pages - found) }, (_, i) =>
      pageUrl(first + i),
    )
    found += urls.length
    if (urls.length > 0) reporter.discovered(urls)
  }

  reporter.phase('crawling')
  discover(ROOT_LINKS)
  let failed = 0
  for (let page = 1; page <= pages; page++) {
    await delay(pageDelayMs)
    if (page === failAtPage) throw new SimulatedCrashError(page)
    discover(2)
    const url = pageUrl(page)
    if (page % FAIL_EVERY === 0) {
      failed += 1
      reporter.failed(1, { url, outcome: 'failed', message: 'HTTP 500 (simulated)' })
    } else {
      reporter.processed(1, { url, outcome: 'processed' })
    }
  }
  return { pages, failed }
}

function pageUrl(page: number): string {
  return `${SITE}/page/${page}`
}
