import { createProgressStreamServer } from '@docspasta/progress-core'
import { RedisProgressService } from '@docspasta/progress-redis'
import { Queue } from 'bullmq'
import { Redis } from 'ioredis'
import { CRAWL_JOB_ATTEMPTS, type CrawlJobData } from './crawlJobData'
import type { ProgressBackend } from './progressBackend'
import { CRAWL_QUEUE, type ExampleSettings } from './settings'

/**
 * Progress in Redis, and each crawl a BullMQ job that a worker process runs (src/worker.ts). The
 * Next server only starts crawls and streams them, so it may restart, or run as many instances,
 * while crawls go on.
 */
export function createRedisBackend(redisUrl: string, settings: ExampleSettings): ProgressBackend {
  const redis = new Redis(redisUrl)
  // Not the URL: it may hold a password. ioredis reconnects by itself.
  redis.on('error', (error: Error) => console.error(`redis: ${error.message}`))
  const service = new RedisProgressService({ redis, prefix: settings.progressPrefix })
  const queue = new Queue<CrawlJobData>(CRAWL_QUEUE, {
    connection: redis,
    prefix: settings.queuePrefix,
  })
  return {
    mode: 'redis',
    service,
    streams: createProgressStreamServer({ service }),
    async runCrawl(crawlId, request) {
      // The crawl id as the job id: one job per crawl, however often the add is retried.
      await queue.add(
        'crawl',
        { crawlId, ...request },
        {
          jobId: crawlId,
          attempts: CRAWL_JOB_ATTEMPTS,
          backoff: { type: 'exponential', delay: 1_000 },
          removeOnComplete: 1_000,
          removeOnFail: 1_000,
        },
      )
    },
  }
}
