import { setTimeout as sleep } from 'node:timers/promises'
import type { CompleteStats, CrawlJob } from '@docspasta/progress-core'

export interface SimulatedCrawlOptions {
  /** Pages the crawl finds in all. */
  pages: number
  /** The page at which the crawl throws SimulatedCrashError (every attempt does). */
  failAtPage?: number | undefined
  /** Work per page, so that the page in the browser is watchable. */
  pauseMs: number
}

const SITE = 'https://docs.example'
/** Links the first page of a site lists, then the links each crawled page adds. */
const FIRST_BATCH = 4
const LINKS_PER_PAGE = 3
/** Every this many pages one fails to load: a failed page, not a failed crawl. */
const FAIL_EVERY = 7

/** Pages that fail to load in a crawl of `pages`: what its totals must show. */
export function expectedFailedPages(pages: number): number {
  return Math.floor(pages / FAIL_EVERY)
}

/**
 * What the job throws at `failAtPage`. Its `code` and `message` reach the page (never the
 * stack); `retryable` makes runCrawlJob restart the crawl while attempts are left.
 */
export class SimulatedCrashError extends Error {
  override name = 'SimulatedCrashError'
  readonly code = 'simulated-crash'
  readonly retryable = true

  constructor(page: number) {
    super(`the crawler crashed on page ${page} (failAtPage)`)
  }
}

/**
 * One attempt of a crawl in miniature: the site's first links, then each page crawled in turn
 * (a pause) and reported processed or failed with its url, its links discovered in batches
 * until `pages` are found. Totals end exact: discovered = processed + failed = pages.
 */
export async function simulateCrawl(
  { reporter }: CrawlJob,
  options: SimulatedCrawlOptions,
): Promise<CompleteStats> {
  const { pages, failAtPage, pauseMs } = options
  let found = 0
  const discover = (count: number) => {
    const first = found + 1
    found = Math.min(pages, found + count)
    const urls = Array.from({ length: found - first + 1 }, (_, i) => urlOf(first + i))
    if (urls.length > 0) reporter.discovered(urls)
  }

  reporter.phase('crawling')
  discover(FIRST_BATCH)
  let failed = 0
  // Every page adds links until all are found, so the crawl reaches each of them in order.
  for (let page = 1; page <= found; page++) {
    await sleep(pauseMs)
    if (page === failAtPage) throw new SimulatedCrashError(page)
    discover(LINKS_PER_PAGE)
    const url = urlOf(page)
    if (page % FAIL_EVERY === 0) {
      failed += 1
      reporter.failed(1, { url, outcome: 'failed', message: 'HTTP 503 (simulated)' })
    } else {
      reporter.processed(1, { url, outcome: 'processed' })
    }
  }
  return { pages, processed: pages - failed, failed }
}

function urlOf(page: number): string {
  return `${SITE}/page/${page}`
}
