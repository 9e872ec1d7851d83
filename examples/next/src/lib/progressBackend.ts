import type { ProgressService, ProgressStreamServer } from '@docspasta/progress-core'
import type { CrawlRequest } from './crawlRequest'
import { createMemoryBackend } from './memoryBackend'
import { createRedisBackend } from './redisBackend'
import type { ExampleSettings } from './settings'

/** What the routes share: where progress lives, how it is streamed, and who runs crawls. */
export interface ProgressBackend {
  /** `memory`: crawls run in this process. `redis`: a worker process runs them (src/worker.ts). */
  readonly mode: 'memory' | 'redis'
  readonly service: ProgressService
  readonly streams: ProgressStreamServer
  /**
   * Hands a started crawl to what runs it. Resolves once it is handed over (queued, or running
   * in the background), long before the crawl ends; rejects when it could not be.
   */
  runCrawl(crawlId: string, request: CrawlRequest): Promise<void>
}

/** The Redis backend when REDIS_URL is set, else the in-process one. */
export function createProgressBackend(settings: ExampleSettings): ProgressBackend {
  return settings.redisUrl === null
    ? createMemoryBackend(settings)
    : createRedisBackend(settings.redisUrl, settings)
}
