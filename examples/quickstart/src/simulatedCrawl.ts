import type { ProgressService } from '@docspasta/progress-core'

export interface SimulatedCrawlOptions {
  service: ProgressService
  crawlId: string
  /** Pages the crawl will find in all. */
  pages: number
  /** Concurrent workers taking pages off the shared queue. */
  workers: number
  /** Every how many pages one fails. */
  failEvery?: number
  /** Waits between steps, so the stream is watchable; default none. */
  pause?: () => Promise<void>
}

/**
 * A crawl in miniature: workers discover links, process pages and report progress concurrently.
 * When the queue is drained every worker tries to complete the crawl; the service lets exactly
 * one win. Returns how many complete() calls won (always 1).
 */
export async function runSimulatedCrawl(options: SimulatedCrawlOptions): Promise<number> {
  const { service, crawlId, pages, workers, failEvery = 7, pause = async () => {} } = options
  await service.start(crawlId)
  await service.publish(crawlId, { type: 'discovery', urls: ['https://docs.example/'] })

  let nextPage = 1
  let found = 1
  const worker = async () => {
    while (nextPage <= pages) {
      const page = nextPage++
      await pause()
      // Each page links to up to two pages nobody has found yet.
      const links: string[] = []
      while (links.length < 2 && found < pages) links.push(`https://docs.example/page/${found++}`)
      if (links.length > 0) await service.publish(crawlId, { type: 'discovery', urls: links })
      const failed = page % failEvery === 0
      // The detail names the page and its outcome: what a UI lists as recent pages.
      const url = `https://docs.example/page/${page}`
      await service.publish(
        crawlId,
        failed
          ? {
              type: 'progress',
              delta: { failed: 1 },
              detail: { url, outcome: 'failed', message: 'HTTP 500 (simulated)' },
            }
          : { type: 'progress', delta: { processed: 1 }, detail: { url, outcome: 'processed' } },
      )
    }
  }
  await Promise.all(Array.from({ length: workers }, worker))
  const finishers = Array.from({ length: workers }, () => service.complete(crawlId, { pages }))
  return (await Promise.all(finishers)).filter(Boolean).length
}
