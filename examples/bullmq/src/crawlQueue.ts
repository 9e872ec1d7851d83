import type { JobsOptions } from 'bullmq'

/** The BullMQ queue the server adds crawls to and the workers take them from. */
export const CRAWL_QUEUE = 'crawls'

/** A crawl job's data: the crawl id (also the job id) and what to simulate. */
export interface CrawlJobData {
  crawlId: string
  pages: number
  /** The page at which every attempt throws, to show retries and a failed crawl. */
  failAtPage?: number
}

/**
 * Three attempts, a second apart then two: each retry is a restart of the crawl (a new epoch;
 * open pages resync). The job id is the crawl id, so a crawl is queued once.
 */
export function crawlJobOptions(crawlId: string): JobsOptions {
  return {
    jobId: crawlId,
    attempts: 3,
    backoff: { type: 'exponential', delay: 1_000 },
    // The progress store keeps each crawl's outcome; BullMQ need not keep every job forever.
    removeOnComplete: { count: 100 },
    removeOnFail: { count: 100 },
  }
}

/** How the workers' liveness settings follow from the progress service's `staleAfterMs`. */
export interface WorkerTimings {
  /** BullMQ: a job whose worker stopped renewing its lock for this long counts as stalled. */
  lockDuration: number
  /** BullMQ: how often each worker looks for such jobs and puts them back in the queue. */
  stalledInterval: number
  /** The progress reporter's heartbeat while a page takes long (it publishes otherwise). */
  heartbeatIntervalMs: number
}

/**
 * A worker that dies is noticed twice: BullMQ re-runs its job on a live worker once its lock
 * expired and a live worker's stalled check saw it twice (at most `lockDuration` plus two
 * `stalledInterval`s), and the progress stall check fails its crawl after `staleAfterMs` of
 * silence. BullMQ must win while a worker is alive, so that the crawl restarts instead of
 * failing: its bound is half of `staleAfterMs` (from 8 s up; below, the floors keep lock renewals
 * from racing a busy event loop). With no live worker only the stall check is left, and the
 * crawl's viewers learn that it `stalled`.
 */
export function workerTimings(staleAfterMs: number): WorkerTimings {
  const lockDuration = Math.max(1_000, Math.floor(staleAfterMs / 4))
  return {
    lockDuration,
    stalledInterval: Math.max(500, Math.floor(staleAfterMs / 8)),
    // Several beats per staleAfterMs, so one late beat is not taken for a dead worker.
    heartbeatIntervalMs: Math.max(250, Math.floor(staleAfterMs / 5)),
  }
}
