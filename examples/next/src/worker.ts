import { runCrawlJob } from '@docspasta/progress-core'
import { RedisProgressService } from '@docspasta/progress-redis'
import { Worker } from 'bullmq'
import { Redis } from 'ioredis'
import type { CrawlJobData } from './lib/crawlJobData'
import { CRAWL_QUEUE, readSettings } from './lib/settings'
import { runSimulatedCrawl } from './lib/simulatedCrawl'

// The process that runs crawls when the Next server queues them (REDIS_URL set): `pnpm worker`.
// It outlives restarts and deploys of the Next server, and several of them can share the queue.
const settings = readSettings()
if (settings.redisUrl === null) {
  console.error('The worker needs REDIS_URL: without it, crawls run inside the Next server.')
  process.exit(1)
}

const redis = new Redis(settings.redisUrl)
// BullMQ's blocking connection must retry forever instead of failing a command.
const queueConnection = new Redis(settings.redisUrl, { maxRetriesPerRequest: null })
for (const connection of [redis, queueConnection]) {
  connection.on('error', (error: Error) => console.error(`redis: ${error.message}`))
}
const progress = new RedisProgressService({ redis, prefix: settings.progressPrefix })

const worker = new Worker<CrawlJobData>(
  CRAWL_QUEUE,
  async (job) => {
    const { crawlId, pages, failAtPage } = job.data
    const options = { pages, failAtPage, pageDelayMs: settings.pageDelayMs }
    // attemptsStarted also counts a run that a killed worker left behind, so a retry after a
    // crash starts the crawl over instead of adding to the dead run's counts.
    const result = await runCrawlJob(progress, crawlId, (ctx) => runSimulatedCrawl(ctx, options), {
      attempt: job.attemptsStarted,
      attempts: job.opts.attempts ?? 1,
    })
    if (result.outcome === 'retry') throw result.error
    if (result.outcome === 'failed') {
      console.warn(`crawl ${crawlId} failed: ${result.info.code}: ${result.info.message}`)
    }
    return result.outcome
  },
  {
    connection: queueConnection,
    prefix: settings.queuePrefix,
    concurrency: 4,
    // A dead worker's job goes to another within about lockDuration + stalledInterval (20 s),
    // well before the progress stall check (staleAfterMs, 60 s by default) would fail its crawl;
    // BullMQ's defaults (30 s each) could let viewers see `stalled` first.
    lockDuration: 10_000,
    stalledInterval: 10_000,
  },
)
worker.on('error', (error) => console.error(`worker: ${error.message}`))

await worker.waitUntilReady()
console.log(`crawl worker ready: queue "${CRAWL_QUEUE}", ${settings.pageDelayMs} ms a page`)

let stopping = false
const stop = async (signal: string) => {
  if (stopping) return
  stopping = true
  console.log(`${signal}: finishing the running crawls, then stopping`)
  await worker.close()
  await progress.close()
  await Promise.all([redis.quit(), queueConnection.quit()])
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    stop(signal).catch((error: unknown) => {
      console.error(error)
      process.exitCode = 1
    })
  })
}
