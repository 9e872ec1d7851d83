import type { CompleteStats, CrawlJob } from '@docspasta/progress-core'
import type { CrawlJobSpec } from './crawlJobTable.js'

export interface SimulatedCrawlOptions {
  /** Every how many pages one fails to load (its crawl goes on). Default 9. */
  failEvery?: number
  /** Awaited before each page, so that the crawl is watchable; rejects to stop the crawl. */
  pause: () => Promise<void>
}

const SITE = 'https://docs.example'

/** What failAtPage throws: not retryable, so the crawl fails for good with this code. */
export class SimulatedCrawlError extends Error {
  readonly code = 'page-broke-the-crawl'
  readonly retryable = false
}

/**
 * A crawl in miniature, as one job: the root links to two pages, and every page links to up to
 * two pages nobody found yet, until `spec.pages` are found. Each page is reported through the
 * job's reporter (batched, exact totals) with its url and outcome, which the page lists as recent.
 */
export async function simulatedCrawl(
  { reporter }: CrawlJob,
  spec: CrawlJobSpec,
  options: SimulatedCrawlOptions,
): Promise<CompleteStats> {
  const { failEvery = 9, pause } = options
  const url = (n: number) => `${SITE}/page/${n}`
  let found = 0
  const discover = (count: number) => {
    const first = found + 1
    found = Math.min(spec.pages, found + count)
    const urls = Array.from({ length: found - first + 1 }, (_, i) => url(first + i))
    if (urls.length > 0) reporter.discovered(urls)
  }
  reporter.phase('crawling')
  discover(2)
  for (let page = 1; page <= found; page += 1) {
    await pause()
    if (page === spec.failAtPage) {
      throw new SimulatedCrawlError(`page ${page} broke the crawl (failAtPage)`)
    }
    discover(2)
    if (page % failEvery === 0) {
      reporter.failed(1, { url: url(page), outcome: 'failed', message: 'HTTP 500 (simulated)' })
    } else {
      reporter.processed(1, { url: url(page), outcome: 'processed' })
    }
  }
  return { pages: found }
}
