import { PROGRESS_LIMITS } from '@docspasta/progress-protocol'
import { isProgressError, ProgressValidationError } from '../errors.js'
import type { CompleteStats, ProgressErrorInfo } from '../events.js'
import type { ProgressService, ProgressSnapshot } from '../service.js'
import { parseCrawlId, parseErrorInfo, parseStats } from '../validate.js'
import {
  createProgressReporter,
  type ProgressReporter,
  type ProgressReporterOptions,
} from './progressReporter.js'

/** What a job's function receives. */
export interface CrawlJob {
  crawlId: string
  /** Reports progress in batches, and heartbeats while the job runs. */
  reporter: ProgressReporter
  /** This attempt, from 1. */
  attempt: number
  /** Attempts in all: on the last one an error fails the crawl for good. */
  attempts: number
  /** The crawl's state when this attempt began. */
  snapshot: ProgressSnapshot
}

export interface RunCrawlJobOptions {
  /**
   * This attempt, from 1 (BullMQ: `job.attemptsStarted`, which also counts a run that a
   * crashed worker left behind). An attempt after the first starts the
   * crawl over (restart(): a new epoch, zeroed counters; connected clients resync). Default 1.
   */
  attempt?: number
  /**
   * Attempts in all (BullMQ: `job.opts.attempts`). A retryable error on an earlier attempt
   * leaves the crawl running for the next one. Default 1.
   */
  attempts?: number
  /** Options of the job's reporter (flush interval, heartbeat, …). */
  reporter?: ProgressReporterOptions
  /**
   * Turns what the job threw into the crawl's error. Default: describeJobError (the error's
   * message and its `code` and `retryable` if it has them; never its stack).
   */
  describeError?: (error: unknown) => ProgressErrorInfo
}

/** How a run ended, from this call's point of view. */
export type CrawlJobResult =
  /** The job returned; `closedCrawl` is false when another worker had closed the crawl first. */
  | { outcome: 'completed'; closedCrawl: boolean; stats: CompleteStats }
  /** The job threw on its last attempt (or a non-retryable error): the crawl failed. */
  | { outcome: 'failed'; closedCrawl: boolean; error: unknown; info: ProgressErrorInfo }
  /**
   * The job threw a retryable error before its last attempt: the crawl stays running, its
   * progress so far flushed. Throw `error` again so that the queue retries the job.
   */
  | { outcome: 'retry'; closedCrawl: false; error: unknown; info: ProgressErrorInfo }
  /**
   * Another worker closed the crawl before or while this one ran (a racing worker): normal, and
   * nothing of this run was published after the close.
   */
  | { outcome: 'closed'; closedCrawl: false }

const JOB_FAILED = 'job-failed'
const ERROR_CODE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/
/** A thrown message is kept, up to this many characters. */
const MESSAGE_MAX_LENGTH = 2_000

/**
 * The crawl's error for what a job threw: its message (bounded), its `code` when it is a short
 * identifier (else `job-failed`), its `retryable` when it is a boolean (else true: most failures
 * of a crawl, a network or a timeout, pass). Never the stack: it stays in the worker's logs.
 */
export function describeJobError(error: unknown): ProgressErrorInfo {
  const fields =
    typeof error === 'object' && error !== null ? (error as Record<string, unknown>) : {}
  const { code, retryable } = fields
  const message = messageOf(error)
  const usableCode =
    typeof code === 'string' &&
    code.length <= PROGRESS_LIMITS.errorCodeMaxLength &&
    ERROR_CODE_PATTERN.test(code)
  return {
    code: usableCode ? code : JOB_FAILED,
    message:
      message.length > MESSAGE_MAX_LENGTH ? `${message.slice(0, MESSAGE_MAX_LENGTH)}…` : message,
    retryable: typeof retryable === 'boolean' ? retryable : true,
  }
}

/** A thrown value's message; anything can be thrown, even what String() cannot convert. */
function messageOf(error: unknown): string {
  try {
    if (error instanceof Error && typeof error.message === 'string') return error.message
    return String(error)
  } catch {
    return 'the job threw a value that has no message'
  }
}

/**
 * Runs one attempt of a crawl's job and always ends the crawl: starts it if needed (or starts
 * it over on a later attempt), claims it for the stall check, hands `run` a reporter, completes
 * the crawl with what `run` returns, and fails it with `{ code, message, retryable }` when `run`
 * throws, on the last attempt or for an error that is not retryable. Safe with many workers
 * racing on one crawl: one of them closes it, the others get `closedCrawl: false` (or
 * `outcome: 'closed'`). The reporter is closed however the run ends: no timer outlives it.
 *
 * Rejects only when the crawl could not be ended (the store is down: the stall check ends it
 * later), for invalid arguments (ProgressValidationError, nothing written), or when `run`
 * returned stats that are not valid (after failing the crawl with code `invalid-input`).
 *
 * @example
 * const result = await runCrawlJob(progress, crawlId, async ({ reporter }) => {
 *   for (const url of urls) {
 *     await fetchPage(url)
 *     reporter.processed(1, { url, outcome: 'processed' })
 *   }
 *   return { pages: urls.length }
 * }, { attempt: job.attemptsStarted, attempts: job.opts.attempts })
 * if (result.outcome === 'retry') throw result.error
 */
export async function runCrawlJob(
  service: ProgressService,
  crawlId: string,
  // biome-ignore lint/suspicious/noConfusingVoidType: a job with nothing to report is `async () => {}`
  run: (job: CrawlJob) => Promise<CompleteStats | undefined | void>,
  options: RunCrawlJobOptions = {},
): Promise<CrawlJobResult> {
  parseCrawlId(crawlId)
  if (typeof run !== 'function') {
    throw new ProgressValidationError([{ path: 'run', message: 'must be a function' }])
  }
  const attempt = parseAttempt(options.attempt, 'options.attempt')
  const attempts = parseAttempt(options.attempts, 'options.attempts')
  const describe = options.describeError ?? describeJobError

  let snapshot = attempt > 1 ? await service.restart(crawlId) : await service.start(crawlId)
  // A crawl whose last worker died is started over: this run is its next attempt.
  if (snapshot.terminal?.type === 'error' && snapshot.terminal.error.code === 'stalled') {
    snapshot = await service.restart(crawlId, { epoch: snapshot.epoch })
  }
  if (snapshot.terminal) return CLOSED
  const { epoch } = snapshot
  // Claims the crawl: from now on, silence for staleAfterMs means this worker died.
  if (!(await service.heartbeat(crawlId, { epoch }))) return CLOSED
  // Every call of this run carries its epoch: after a restart by someone else, it stops.
  const reporter = createProgressReporter(service, crawlId, { ...options.reporter, epoch })

  let thrown: { error: unknown } | undefined
  let stats: CompleteStats = {}
  try {
    stats = (await run({ crawlId, reporter, attempt, attempts, snapshot })) ?? {}
  } catch (error) {
    thrown = { error }
  }
  try {
    if (thrown)
      return await endWithError(
        service,
        crawlId,
        reporter,
        thrown.error,
        attempt < attempts,
        describe,
      )
    return await endWithStats(reporter, stats)
  } finally {
    // Every path above closed the reporter; a close that failed (the store is down) is retried
    // once here so that no heartbeat keeps a crawl nobody works on alive. The error that
    // matters, if any, is the one already on its way to the caller.
    await reporter.close().catch(() => undefined)
  }
}

const CLOSED: CrawlJobResult = Object.freeze({ outcome: 'closed', closedCrawl: false })

async function endWithStats(
  reporter: ProgressReporter,
  stats: CompleteStats,
): Promise<CrawlJobResult> {
  let parsed: CompleteStats
  try {
    parsed = parseStats(stats)
  } catch (invalid) {
    // The job's own stats are invalid: the crawl must still end, and the caller learn why.
    const message = (invalid as ProgressValidationError).message
    await endUnlessClosed(reporter, async () => {
      await reporter.fail({ code: 'invalid-input', message, retryable: false })
      return CLOSED
    })
    throw invalid
  }
  return endUnlessClosed(reporter, async () => {
    const closedCrawl = await reporter.complete(parsed)
    return { outcome: 'completed', closedCrawl, stats: parsed }
  })
}

async function endWithError(
  service: ProgressService,
  crawlId: string,
  reporter: ProgressReporter,
  error: unknown,
  attemptsLeft: boolean,
  describe: (error: unknown) => ProgressErrorInfo,
): Promise<CrawlJobResult> {
  if (isCrawlClosed(error)) return closeQuietly(reporter)
  const info = describeSafely(describe, error)
  if (info.retryable && attemptsLeft) {
    return endUnlessClosed(reporter, async () => {
      await reporter.close()
      // The crawl waits for the next attempt as new: unclaimed, so no stall check fails it
      // while the queue backs off, and its clients see the reset at once. Only this run's
      // epoch is restarted: a crawl someone else restarted meanwhile is left alone.
      const epoch = reporter.epoch
      await service.restart(crawlId, epoch === undefined ? {} : { epoch })
      return { outcome: 'retry', closedCrawl: false, error, info }
    })
  }
  return endUnlessClosed(reporter, async () => {
    const closedCrawl = await reporter.fail(info)
    return { outcome: 'failed', closedCrawl, error, info }
  })
}

/** The crawl's error from `describe`, or a fixed one when `describe` fails or returns junk. */
function describeSafely(
  describe: (error: unknown) => ProgressErrorInfo,
  error: unknown,
): ProgressErrorInfo {
  try {
    return parseErrorInfo(describe(error))
  } catch {
    return {
      code: JOB_FAILED,
      message: 'the job failed, and describeError could not describe its error',
      retryable: false,
    }
  }
}

function isCrawlClosed(error: unknown): boolean {
  return isProgressError(error) && error.code === 'crawl-closed'
}

/** Runs the end of a job; a crawl that another worker closed meanwhile is a normal end. */
async function endUnlessClosed(
  reporter: ProgressReporter,
  end: () => Promise<CrawlJobResult>,
): Promise<CrawlJobResult> {
  try {
    return await end()
  } catch (error) {
    if (isCrawlClosed(error)) return closeQuietly(reporter)
    throw error
  }
}

/** Stops the reporter of a crawl that is closed: whatever it still held cannot be stored. */
async function closeQuietly(reporter: ProgressReporter): Promise<CrawlJobResult> {
  try {
    await reporter.close()
  } catch (error) {
    if (!isCrawlClosed(error)) throw error
  }
  return CLOSED
}

function parseAttempt(value: number | undefined, path: string): number {
  if (value === undefined) return 1
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new ProgressValidationError([{ path, message: 'must be an integer of at least 1' }])
  }
  return value
}
