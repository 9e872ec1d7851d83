import {
  createProgressStreamServer,
  MemoryProgressService,
  runCrawlJob,
} from '@docspasta/progress-core'
import type { ProgressBackend } from './progressBackend'
import type { ExampleSettings } from './settings'
import { runSimulatedCrawl } from './simulatedCrawl'

/**
 * Progress in this process's memory, and each crawl run in the background of the request that
 * started it. Only for one long-lived `next start` process: see the README.
 */
export function createMemoryBackend(settings: ExampleSettings): ProgressBackend {
  const service = new MemoryProgressService()
  return {
    mode: 'memory',
    service,
    streams: createProgressStreamServer({ service }),
    async runCrawl(crawlId, request) {
      const options = { ...request, pageDelayMs: settings.pageDelayMs }
      // Not awaited: the request answers at once and the crawl reaches the page as events.
      // runCrawlJob ends the crawl however the crawl ends; it rejects only when even that failed.
      void runCrawlJob(service, crawlId, (job) => runSimulatedCrawl(job, options)).then(
        (result) => {
          if (result.outcome === 'failed') {
            console.warn(`crawl ${crawlId} failed: ${result.info.code}: ${result.info.message}`)
          }
        },
        (error: unknown) => console.error(`crawl ${crawlId} could not be ended:`, error),
      )
    },
  }
}
