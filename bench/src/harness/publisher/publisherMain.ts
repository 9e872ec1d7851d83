import { RedisProgressService } from '@docspasta/progress-redis'
import { Redis } from 'ioredis'
import { childArgs, serveCommands } from '../process/childCommands.js'
import type { PublishSchedule } from '../schedule.js'
import { ScheduleTicker } from './scheduleTicker.js'

// The workers of the SDK-on-Redis runs: a process of its own that starts the crawls and publishes
// through its own RedisProgressService, so the server process only subscribes and streams.

export interface PublisherArgs {
  crawlIds: string[]
  redisUrl: string
  redisPrefix: string
}

async function main(): Promise<void> {
  const args = childArgs<PublisherArgs>()
  const redis = new Redis(args.redisUrl)
  redis.on('error', (error: Error) => process.stderr.write(`[publisher] redis: ${error.message}\n`))
  const service = new RedisProgressService({ redis, prefix: args.redisPrefix })
  let ticker: ScheduleTicker | undefined

  serveCommands(
    {
      startCrawls: async () => {
        await Promise.all(args.crawlIds.map((crawlId) => service.start(crawlId)))
      },
      sample: () => ticker?.sample(),
      startSchedule: (schedule) => {
        ticker = new ScheduleTicker(schedule as PublishSchedule, (crawl) =>
          service.increment(args.crawlIds[crawl] as string, { processed: 1 }),
        )
        ticker.start()
      },
      stopSchedule: () => ticker?.stop(),
      // Removes the run's keys, after the server has gone (cleanup ends open streams).
      cleanup: async () => {
        await Promise.all(args.crawlIds.map((crawlId) => service.cleanup(crawlId)))
      },
    },
    async () => {
      await ticker?.stop()
      await service.close()
      await redis.quit()
    },
  )
}

await main()
