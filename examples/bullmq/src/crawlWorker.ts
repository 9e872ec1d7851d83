import type { ProgressService } from '@docspasta/progress-core'
import { runCrawlJob } from '@docspasta/progress-core'
import { type Job, UnrecoverableError, Worker } from 'bullmq'
import type { ExampleConfig } from './config.js'
import { CRAWL_QUEUE, type CrawlJobData, workerTimings } from './crawlQueue.js'
import { simulateCrawl } from './simulatedCrawl.js'

export interface CrawlWorkerOptions {
  config: ExampleConfig
  progress: ProgressService
  /** One line per job event, for the terminal (and the tests, which read it). */
  log: (line: string) => void
}

/**
 * A BullMQ worker that runs each crawl job through runCrawlJob: one attempt of the job is one
 * run of the crawl, and a retry is a restart of it (a new epoch; open pages resync).
 */
export function createCrawlWorker({ config, progress, log }: CrawlWorkerOptions): Worker {
  const timings = workerTimings(config.staleAfterMs)
  const runJob = async (job: Job<CrawlJobData>) => {
    const { crawlId, pages, failAtPage } = job.data
    const attempts = job.opts.attempts ?? 1
    // attemptsStarted also counts a run that a dead worker left behind: this run then starts
    // the crawl over instead of adding to the dead run's counts.
    const attempt = job.attemptsStarted
    log(`crawl ${crawlId} attempt ${attempt}/${attempts} started`)
    const result = await runCrawlJob(
      progress,
      crawlId,
      (run) => simulateCrawl(run, { pages, failAtPage, pauseMs: config.pagePauseMs }),
      { attempt, attempts, reporter: { heartbeatIntervalMs: timings.heartbeatIntervalMs } },
    )
    log(`crawl ${crawlId} attempt ${attempt}/${attempts} ended: ${result.outcome}`)
    switch (result.outcome) {
      case 'completed':
        return result.stats
      case 'retry':
        // The crawl was started over and waits for the next attempt: BullMQ schedules it.
        throw result.error
      case 'failed':
        // The crawl failed for good (its last attempt, or an error that is not retryable): no
        // BullMQ retry may start it over.
        throw new UnrecoverableError(result.info.message)
      case 'closed':
        // Another run closed or restarted the crawl (this one was taken for dead): nothing to do.
        return undefined
    }
  }
  return new Worker<CrawlJobData>(CRAWL_QUEUE, runJob, {
    connection: { url: config.redisUrl },
    prefix: config.queuePrefix,
    concurrency: 2,
    lockDuration: timings.lockDuration,
    stalledInterval: timings.stalledInterval,
  })
}
