import type { CrawlRequest } from './crawlRequest'

/** The BullMQ job of one crawl: the crawl started already, and what the request asked for. */
export interface CrawlJobData extends CrawlRequest {
  crawlId: string
}

/** Attempts BullMQ gives a crawl job; runCrawlJob restarts the crawl for each retry. */
export const CRAWL_JOB_ATTEMPTS = 3
