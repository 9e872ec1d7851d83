import {
  createProgressStreamServer,
  MemoryProgressService,
  type ProgressService,
} from '@docspasta/progress-core'
import { createNodeProgressHandler } from '@docspasta/progress-core/node'
import { RedisProgressService } from '@docspasta/progress-redis'
import { Redis } from 'ioredis'
import type { StreamBackend } from './streamBackend.js'

function streamBackendOf(
  service: ProgressService,
  publishOne: StreamBackend['publishOne'],
  closeService: () => Promise<void>,
): StreamBackend {
  // The default limit (10,000) is below the largest scenario; everything else is the default.
  const streams = createProgressStreamServer({ service, maxConnections: 100_000 })
  const handleStream = createNodeProgressHandler(streams)
  return {
    handle(req, res) {
      handleStream(req, res).catch((error: unknown) => {
        res.destroy(error instanceof Error ? error : new Error(String(error)))
      })
    },
    publishOne,
    async close() {
      streams.close()
      await closeService()
    },
  }
}

/** The SDK on its in-memory backend; the publisher runs in this process, as the app's would. */
export async function createSdkMemoryBackend(crawlIds: readonly string[]): Promise<StreamBackend> {
  const service = new MemoryProgressService()
  for (const crawlId of crawlIds) await service.start(crawlId)
  return streamBackendOf(
    service,
    (crawl) => service.increment(crawlIds[crawl] as string, { processed: 1 }),
    () => service.close(),
  )
}

/**
 * The SDK on Redis: this process only subscribes and streams. The crawls are started and
 * published by the workers' process (publisher/publisherMain.ts) through its own service.
 */
export function createSdkRedisBackend(redisUrl: string, prefix: string): StreamBackend {
  const redis = new Redis(redisUrl, { lazyConnect: false })
  redis.on('error', (error: Error) => process.stderr.write(`[sdk-redis] redis: ${error.message}\n`))
  const service = new RedisProgressService({ redis, prefix })
  return streamBackendOf(service, undefined, async () => {
    await service.close()
    await redis.quit()
  })
}
