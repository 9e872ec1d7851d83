import { RedisProgressService } from '@docspasta/progress-redis'
import { Redis } from 'ioredis'
import type { ExampleConfig } from './config.js'

export interface ProgressConnection {
  progress: RedisProgressService
  /** Closes the service, then its Redis connection. */
  close(): Promise<void>
}

/**
 * The progress service every process of the example uses, on a Redis connection of its own
 * (BullMQ's connections block; progress commands must not wait behind them). Every process
 * passes the same prefix and `staleAfterMs`.
 */
export function connectProgress(config: ExampleConfig, label: string): ProgressConnection {
  const redis = new Redis(config.redisUrl)
  // ioredis reconnects by itself; without a listener an error event would crash the process.
  // The message only: the URL may hold a password.
  redis.on('error', (error: Error) => console.error(`${label}: redis: ${error.message}`))
  const progress = new RedisProgressService({
    redis,
    prefix: config.progressPrefix,
    staleAfterMs: config.staleAfterMs,
  })
  return {
    progress,
    async close() {
      await progress.close()
      await redis.quit()
    },
  }
}
