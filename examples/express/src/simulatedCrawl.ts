import type { ProgressService } from '@docspasta/progress-core'

export interface SimulatedCrawlOptions {
  service: ProgressService
  /** A crawl that start() has already created. */
  crawlId: string
  /** Pages the crawl finds in all. Default 120. */
  pages?: number
  /** Concurrent workers sharing one frontier. Default 4. */
  workers?: number
  /** Every how many pages one fails. Default 9. */
  failEvery?: number
  /** Awaited before each page, so the stream is watchable; default none. */
  pause?: () => Promise<void>
  /** Stops the workers; the crawl then ends with an `error` envelope instead of `complete`. */
  signal?: AbortSignal
}

const SITE = 'https://docs.example'

/**
 * A crawl in miniature. The root lists one link per worker; every page then yields up to two
 * links nobody has found yet, until `pages` are discovered. Workers take pages off the shared
 * frontier, report each as processed or failed, and when the frontier is drained every worker
 * calls complete(): the service lets exactly one win.
 *
 * @returns how many complete() (or, after an abort, fail()) calls won: always 1
 */
export async function runSimulatedCrawl(options: SimulatedCrawlOptions): Promise<number> {
  const { service, crawlId, signal } = options
  const { pages = 120, workers = 4, failEvery = 9, pause = async () => {} } = options
  let found = 0
  const frontier: number[] = []
  const discover = async (count: number) => {
    const first = found + 1
    const numbers = Array.from({ length: Math.min(count, pages - found) }, (_, i) => first + i)
    if (numbers.length === 0) return
    found += numbers.length
    await service.publish(crawlId, {
      type: 'discovery',
      urls: numbers.map((n) => `${SITE}/page/${n}`),
    })
    // Queued only once published, so no page is processed before its discovery envelope.
    frontier.push(...numbers)
  }

  // A pause in progress does not hold up an abort.
  let onAbort = () => {}
  const aborted = new Promise<void>((resolve) => {
    onAbort = resolve
  })
  signal?.addEventListener('abort', onAbort, { once: true })
  if (signal?.aborted) onAbort()
  const worker = async () => {
    // An empty frontier means every page is discovered and taken: while any page is left to
    // find, each finished page adds two links for the one it took.
    for (let page = frontier.shift(); page !== undefined; page = frontier.shift()) {
      await Promise.race([pause(), aborted])
      if (signal?.aborted) return
      // A page that fails to process still had its links read.
      await discover(2)
      const failed = page % failEvery === 0
      // The detail names the page and its outcome: what a UI lists as recent pages.
      const url = `${SITE}/page/${page}`
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
  try {
    await discover(workers)
    await Promise.all(Array.from({ length: workers }, worker))
  } finally {
    signal?.removeEventListener('abort', onAbort)
  }

  const finishers = Array.from({ length: workers }, () =>
    signal?.aborted
      ? service.fail(crawlId, {
          code: 'crawl-aborted',
          message: 'the server shut down before the crawl finished',
          retryable: true,
        })
      : service.complete(crawlId, { pages }),
  )
  return (await Promise.all(finishers)).filter(Boolean).length
}
