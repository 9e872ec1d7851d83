import { OPERATION_ID_PATTERN, PROGRESS_LIMITS } from '@docspasta/progress-protocol'
import {
  isProgressError,
  ProgressBackendError,
  type ProgressError,
  ProgressValidationError,
  ReporterClosedError,
} from '../errors.js'
import type { CompleteStats, ProgressDelta, ProgressDetail, ProgressErrorInfo } from '../events.js'
import { createEpoch } from '../randomTokens.js'
import type { ProgressService } from '../service.js'
import {
  parseCrawlId,
  parseEpochOption,
  parseErrorInfo,
  parseInput,
  parseStats,
} from '../validate.js'
import { type BatchCall, planBatchCalls } from './batchCalls.js'
import { PendingProgress } from './pendingProgress.js'

export interface ProgressReporterOptions {
  /**
   * At most one batch per interval; the first change after a quiet interval goes out at once
   * (in a microtask, so that a synchronous burst shares it). Default 250 ms.
   */
  flushIntervalMs?: number
  /**
   * Pending calls (processed, failed and phase calls, and discovered urls) that force a flush
   * at once, interval or not. Default 1,000.
   */
  maxPending?: number
  /** Most recent details kept per flush (older ones are dropped, their counts kept). Default 20. */
  maxDetails?: number
  /**
   * Calls service.heartbeat() while no batch was stored for this long, so that the stall check
   * sees an idle worker alive; false turns it off. Default 10,000 ms.
   */
  heartbeatIntervalMs?: number | false
  /**
   * Prefix of the operation ids of this reporter's batches (`<prefix>:<n>`): a retry of the same
   * batch is applied once. Unique per reporter: a second reporter of the crawl with the same
   * prefix would have its first batches taken for repeats and dropped. At most 100 printable
   * ASCII characters without spaces. Default: random (64 bits).
   */
  operationIdPrefix?: string
  /**
   * The epoch this worker works on (`snapshot.epoch` of its start() or restart()). Every batch,
   * heartbeat and terminal call carries it: once the crawl is restarted under another epoch, they
   * are refused (CrawlClosedError, `restarted: true`) and the reporter stops, so a worker of an
   * earlier attempt cannot add to the new one. Default: none (any epoch).
   */
  epoch?: string
  /**
   * A background flush or heartbeat failed. A retryable failure keeps the batch, retried under
   * the same operation id; a closed or missing crawl stops the reporter. Default: console.warn.
   */
  onError?: (error: ProgressError) => void
}

/**
 * The worker side of a crawl: records what happened and publishes it in coalesced batches, at
 * most one per `flushIntervalMs` and one in flight at a time, with exact totals.
 */
export interface ProgressReporter {
  /** Urls found (any number; sent in discovery inputs within the store's bounds). */
  discovered(urls: readonly string[]): void
  processed(count?: number, detail?: ProgressDetail): void
  failed(count?: number, detail?: ProgressDetail): void
  /** Sets the job's phase: a progress input with an empty delta and detail `{ phase }`. */
  phase(name: string): void
  /**
   * Sends what is pending now (after the batch in flight, if any); resolves once it is stored.
   * Rejects with the store's error, the batch kept for the next flush.
   */
  flush(): Promise<void>
  /**
   * Closes the reporter, flushes, then service.complete(): true for the caller that closed the
   * crawl. If the flush fails (CrawlClosedError included: what it held cannot be stored), rejects
   * with its error and completes nothing. Invalid stats reject before anything closes.
   */
  complete(stats?: CompleteStats): Promise<boolean>
  /** As complete(), with service.fail(): true for the caller that closed the crawl. */
  fail(error: ProgressErrorInfo): Promise<boolean>
  /**
   * Closes the reporter (further calls throw), stops its timers and flushes. Idempotent: every
   * call returns the first one's promise, which rejects if that flush failed.
   */
  close(): Promise<void>
  /** Calls (and urls) accumulated and not yet stored, in flight included. */
  readonly pending: number
  /** The epoch its calls carry (`options.epoch`), if any. */
  readonly epoch: string | undefined
  /** True once close(), complete() or fail() was called, or the crawl was found closed or gone. */
  readonly closed: boolean
}

const DEFAULTS = {
  flushIntervalMs: 250,
  maxPending: 1_000,
  maxDetails: 20,
  heartbeatIntervalMs: 10_000,
} as const

/** Leaves room for `:<counter>` within the 128 characters of an operation id. */
const OPERATION_ID_PREFIX_MAX_LENGTH = 100
/** Retries of a failing store wait at least this (even with a 0 ms interval)… */
const RETRY_MIN_DELAY_MS = 100
/** …and back off, doubling, up to this, unless the interval is longer. */
const RETRY_MAX_DELAY_MS = 5_000
// setTimeout's largest delay.
const MAX_TIMER_DELAY_MS = 2_147_483_647

/** A call planned once and sent, or re-sent, under its own operation id. */
interface PlannedCall extends BatchCall {
  operationId: string
}

type ResolvedOptions = Required<Omit<ProgressReporterOptions, 'heartbeatIntervalMs' | 'epoch'>> & {
  heartbeatIntervalMs: number | false
  epoch: string | undefined
}

/**
 * A reporter that coalesces a worker's calls into batches for one crawl. The crawl must exist
 * (start() it first); close the reporter (or complete()/fail() it) when the work ends, in a
 * `finally`: its timers are unref'd, so an unclosed reporter does not keep a process alive, but
 * what it holds is lost, and its heartbeat keeps the crawl looking alive until the process ends.
 *
 * @example
 * const reporter = createProgressReporter(service, crawlId)
 * for (const page of pages) {
 *   reporter.discovered(await crawl(page))
 *   reporter.processed()
 * }
 * await reporter.complete({ pages: pages.length })
 */
export function createProgressReporter(
  service: ProgressService,
  crawlId: string,
  options: ProgressReporterOptions = {},
): ProgressReporter {
  return new CoalescingReporter(service, parseCrawlId(crawlId), resolveOptions(options))
}

class CoalescingReporter implements ProgressReporter {
  readonly #service: ProgressService
  readonly #crawlId: string
  readonly #options: ResolvedOptions
  readonly #epochOption: { epoch?: string }
  readonly #accumulated: PendingProgress
  /** Planned calls, oldest first: the head is in flight or waits to be retried under its id. */
  readonly #planned: PlannedCall[] = []
  #plannedCalls = 0
  #operationCount = 0
  #sending: Promise<void> | undefined
  #flushTimer: ReturnType<typeof setTimeout> | undefined
  #flushQueued = false
  /** No background batch starts before this (monotonic ms): the interval, or a retry's backoff. */
  #nextSendAt = Number.NEGATIVE_INFINITY
  #failures = 0
  #heartbeatTimer: ReturnType<typeof setTimeout> | undefined
  /** The last stored batch or heartbeat (monotonic ms). */
  #aliveAt: number
  #open = true
  #closing: Promise<void> | undefined
  /** The crawl was found closed or gone (or the service closed): nothing can be stored any more. */
  #stopError: ProgressError | undefined

  constructor(service: ProgressService, crawlId: string, options: ResolvedOptions) {
    this.#service = service
    this.#crawlId = crawlId
    this.#options = options
    // Made once: every call to the store carries it.
    this.#epochOption = options.epoch === undefined ? {} : { epoch: options.epoch }
    this.#accumulated = new PendingProgress(options.maxDetails)
    this.#aliveAt = now()
    if (options.heartbeatIntervalMs !== false) this.#armHeartbeat(options.heartbeatIntervalMs)
  }

  get epoch(): string | undefined {
    return this.#options.epoch
  }

  get pending(): number {
    return this.#accumulated.calls + this.#plannedCalls
  }

  get closed(): boolean {
    return !this.#open || this.#stopError !== undefined
  }

  discovered(urls: readonly string[]): void {
    this.#assertOpen()
    if (!Array.isArray(urls)) {
      throw new ProgressValidationError([{ path: 'urls', message: 'must be an array of urls' }])
    }
    // An empty list is a page without links: nothing to record.
    if (urls.length === 0) return
    for (let start = 0; start < urls.length; start += PROGRESS_LIMITS.urlsPerDiscovery) {
      validateUrls(urls, start)
    }
    this.#accumulated.addUrls(urls)
    this.#changed()
  }

  processed(count = 1, detail?: ProgressDetail): void {
    this.#count('processed', count, detail)
  }

  failed(count = 1, detail?: ProgressDetail): void {
    this.#count('failed', count, detail)
  }

  /** processed() and failed(): without a detail, a sum and nothing allocated. */
  #count(counter: 'processed' | 'failed', count: number, detail: ProgressDetail | undefined): void {
    this.#assertOpen()
    checkCount(count)
    const accumulated = this.#accumulated
    if (detail !== undefined) {
      const delta = counter === 'processed' ? { processed: count } : { failed: count }
      accumulated.addDetailed(delta, validateDetail(detail))
    } else if (count === 0) {
      return
    } else if (counter === 'processed') {
      accumulated.addProcessed(count)
    } else {
      accumulated.addFailed(count)
    }
    this.#changed()
  }

  phase(name: string): void {
    this.#assertOpen()
    const empty: ProgressDelta = {}
    this.#accumulated.addDetailed(empty, validateDetail({ phase: name }))
    this.#changed()
  }

  async flush(): Promise<void> {
    this.#assertOpen()
    await this.#flushAll()
  }

  async complete(stats: CompleteStats = {}): Promise<boolean> {
    this.#assertNotClosing()
    // Checked before closing, so that a bad argument leaves the reporter usable.
    const parsed = parseStats(stats)
    await this.close()
    return this.#service.complete(this.#crawlId, parsed, this.#epochOption)
  }

  async fail(error: ProgressErrorInfo): Promise<boolean> {
    this.#assertNotClosing()
    const parsed = parseErrorInfo(error)
    await this.close()
    return this.#service.fail(this.#crawlId, parsed, this.#epochOption)
  }

  close(): Promise<void> {
    // A close whose flush failed (the store down) may be called again: it retries the flush.
    this.#closing ??= this.#shutDown().catch((error: unknown) => {
      this.#closing = undefined
      throw error
    })
    return this.#closing
  }

  async #shutDown(): Promise<void> {
    this.#open = false
    this.#stopTimers()
    await this.#flushAll()
  }

  /** Waits for the batch in flight, then sends everything pending as one flush. */
  async #flushAll(): Promise<void> {
    // A failure of that batch went to its own caller or onError; this flush retries it.
    while (this.#sending !== undefined) await this.#sending.catch(ignore)
    if (this.#stopError !== undefined) {
      if (this.pending > 0) throw this.#stopError
      return
    }
    if (this.pending > 0) await this.#send()
  }

  /** After every change: sends now, or at the interval's end, or when the batch in flight ends. */
  #changed(): void {
    if (this.#flushQueued || this.#sending !== undefined) return
    if (this.#failures === 0 && this.#accumulated.calls >= this.#options.maxPending) {
      this.#flushSoon()
      return
    }
    if (this.#flushTimer !== undefined) return
    const wait = this.#nextSendAt - now()
    if (wait <= 0) this.#flushSoon()
    else this.#flushTimer = unrefTimer(setTimeout(this.#onFlushTimer, timerDelay(wait)))
  }

  // A microtask rather than a send in the same tick: a synchronous burst of calls shares it.
  #flushSoon(): void {
    this.#cancelFlushTimer()
    if (this.#flushQueued) return
    this.#flushQueued = true
    queueMicrotask(this.#onFlushQueued)
  }

  readonly #onFlushQueued = (): void => {
    this.#flushQueued = false
    this.#backgroundFlush()
  }

  readonly #onFlushTimer = (): void => {
    this.#flushTimer = undefined
    this.#backgroundFlush()
  }

  #backgroundFlush(): void {
    if (!this.#open || this.#stopError !== undefined || this.#sending !== undefined) return
    if (this.pending === 0) return
    this.#send().catch(this.#report)
  }

  /** Plans what accumulated behind any retried calls and sends them in order, one at a time. */
  #send(): Promise<void> {
    this.#cancelFlushTimer()
    if (this.#accumulated.calls > 0) {
      const prefix = this.#options.operationIdPrefix
      for (const call of planBatchCalls(this.#crawlId, this.#accumulated.drain())) {
        this.#operationCount += 1
        this.#planned.push({
          ...call,
          operationId: `${prefix}:${this.#operationCount.toString(36)}`,
        })
        this.#plannedCalls += call.calls
      }
    }
    this.#nextSendAt = now() + this.#options.flushIntervalMs
    const sending = this.#sendPlanned().finally(() => {
      this.#sending = undefined
      // What came in meanwhile, or a kept call, goes out at the next allowed time.
      if (this.#open && this.#stopError === undefined && this.pending > 0) this.#changed()
    })
    this.#sending = sending
    return sending
  }

  async #sendPlanned(): Promise<void> {
    while (this.#planned.length > 0) {
      const call = this.#planned[0] as PlannedCall
      try {
        await this.#service.publishBatch(this.#crawlId, call.inputs, {
          ...this.#epochOption,
          operationId: call.operationId,
        })
      } catch (error) {
        throw this.#sendFailed(error)
      }
      this.#planned.shift()
      this.#plannedCalls -= call.calls
      this.#failures = 0
      this.#aliveAt = now()
    }
  }

  /** Decides what a failed call means for the reporter; returns the error to surface. */
  #sendFailed(error: unknown): ProgressError {
    const failure = asProgressError('publishBatch', error)
    if (isStopping(failure)) {
      this.#stop(failure)
    } else if (failure.code === 'invalid-input') {
      // The store will never take this call (a total past MAX_TOTAL): drop it, do not retry it.
      const dropped = this.#planned.shift()
      if (dropped !== undefined) this.#plannedCalls -= dropped.calls
    } else {
      // Kept for a retry under the same id, backing off while the store keeps failing.
      this.#failures += 1
      const { flushIntervalMs } = this.#options
      const backoff = Math.min(
        Math.max(flushIntervalMs, RETRY_MIN_DELAY_MS) * 2 ** (this.#failures - 1),
        Math.max(flushIntervalMs, RETRY_MAX_DELAY_MS),
      )
      this.#nextSendAt = now() + backoff
    }
    return failure
  }

  #armHeartbeat(delay: number): void {
    this.#heartbeatTimer = unrefTimer(setTimeout(this.#onHeartbeatTimer, timerDelay(delay)))
  }

  readonly #onHeartbeatTimer = (): void => {
    this.#heartbeatTimer = undefined
    const interval = this.#options.heartbeatIntervalMs
    if (interval === false || !this.#open || this.#stopError !== undefined) return
    // Batches that were stored since the timer was armed moved the deadline: no beat needed yet.
    const idle = now() - this.#aliveAt
    if (idle < interval) this.#armHeartbeat(interval - idle)
    else void this.#beat(interval)
  }

  async #beat(interval: number): Promise<void> {
    let running: boolean
    try {
      running = await this.#service.heartbeat(this.#crawlId, this.#epochOption)
    } catch (error) {
      const failure = asProgressError('heartbeat', error)
      if (isStopping(failure)) this.#stop(failure)
      else if (this.#open && this.#stopError === undefined) this.#armHeartbeat(interval)
      this.#report(failure)
      return
    }
    // false: someone closed the crawl; the next batch learns it. Beating on would mean nothing.
    if (!running || !this.#open || this.#stopError !== undefined) return
    this.#aliveAt = now()
    this.#armHeartbeat(interval)
  }

  #stop(error: ProgressError): void {
    this.#stopError = error
    this.#stopTimers()
  }

  #stopTimers(): void {
    this.#cancelFlushTimer()
    if (this.#heartbeatTimer !== undefined) {
      clearTimeout(this.#heartbeatTimer)
      this.#heartbeatTimer = undefined
    }
  }

  #cancelFlushTimer(): void {
    if (this.#flushTimer === undefined) return
    clearTimeout(this.#flushTimer)
    this.#flushTimer = undefined
  }

  readonly #report = (error: ProgressError): void => {
    this.#options.onError(error)
  }

  #assertOpen(): void {
    if (this.#stopError !== undefined) throw this.#stopError
    this.#assertNotClosing()
  }

  #assertNotClosing(): void {
    if (!this.#open) {
      throw new ReporterClosedError(this.#crawlId)
    }
  }
}

const now = (): number => performance.now()

const ignore = (): void => {}

const timerDelay = (ms: number): number => Math.min(Math.max(ms, 0), MAX_TIMER_DELAY_MS)

// An idle reporter must not keep a process alive; where timers have no unref, nothing to do.
function unrefTimer<T>(timer: T): T {
  ;(timer as { unref?: () => void }).unref?.()
  return timer
}

/** A closed or missing crawl, or a closed service: nothing this reporter holds can be stored. */
function isStopping(error: ProgressError): boolean {
  return (
    error.code === 'crawl-closed' ||
    error.code === 'crawl-not-found' ||
    error.code === 'service-closed'
  )
}

function asProgressError(operation: string, error: unknown): ProgressError {
  return isProgressError(error) ? error : new ProgressBackendError(operation, error)
}

function checkCount(count: number): void {
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new ProgressValidationError([
      { path: 'count', message: 'must be a non-negative safe integer' },
    ])
  }
}

/** Validates with the input schema, so that its bounds live in one place. */
function validateDetail(detail: ProgressDetail): ProgressDetail {
  const input = parseInput({ type: 'progress', delta: {}, detail })
  return (input as { detail: ProgressDetail }).detail
}

/** Validates the urls from `start` as one discovery input would be; issue paths index `urls`. */
function validateUrls(urls: readonly string[], start: number): void {
  const { urlsPerDiscovery } = PROGRESS_LIMITS
  const chunk = urls.length <= urlsPerDiscovery ? urls : urls.slice(start, start + urlsPerDiscovery)
  try {
    parseInput({ type: 'discovery', urls: chunk })
  } catch (error) {
    if (!(error instanceof ProgressValidationError) || start === 0) throw error
    throw new ProgressValidationError(
      error.issues.map((issue) => ({
        ...issue,
        path: issue.path.replace(
          /^urls\.(\d+)/,
          (_, index: string) => `urls.${start + Number(index)}`,
        ),
      })),
    )
  }
}

function resolveOptions(options: ProgressReporterOptions): ResolvedOptions {
  const issues: { path: string; message: string }[] = []
  const check = (ok: boolean, path: string, message: string): void => {
    if (!ok) issues.push({ path: `options.${path}`, message })
  }
  const {
    flushIntervalMs = DEFAULTS.flushIntervalMs,
    maxPending = DEFAULTS.maxPending,
    maxDetails = DEFAULTS.maxDetails,
    heartbeatIntervalMs = DEFAULTS.heartbeatIntervalMs,
    operationIdPrefix = createEpoch(),
    onError = warn,
  } = options
  const epoch = parseEpochOption(options.epoch)
  check(
    Number.isFinite(flushIntervalMs) &&
      flushIntervalMs >= 0 &&
      flushIntervalMs <= MAX_TIMER_DELAY_MS,
    'flushIntervalMs',
    'must be a number of milliseconds from 0 to 2,147,483,647',
  )
  check(
    Number.isSafeInteger(maxPending) && maxPending >= 1,
    'maxPending',
    'must be a positive integer',
  )
  check(
    Number.isSafeInteger(maxDetails) &&
      maxDetails >= 0 &&
      maxDetails <= PROGRESS_LIMITS.batchMaxInputs,
    'maxDetails',
    `must be an integer from 0 to ${PROGRESS_LIMITS.batchMaxInputs}`,
  )
  check(
    heartbeatIntervalMs === false ||
      (Number.isFinite(heartbeatIntervalMs) &&
        heartbeatIntervalMs > 0 &&
        heartbeatIntervalMs <= MAX_TIMER_DELAY_MS),
    'heartbeatIntervalMs',
    'must be false or a number of milliseconds from 1 to 2,147,483,647',
  )
  check(
    typeof operationIdPrefix === 'string' &&
      operationIdPrefix.length <= OPERATION_ID_PREFIX_MAX_LENGTH &&
      OPERATION_ID_PATTERN.test(operationIdPrefix),
    'operationIdPrefix',
    `must be 1 to ${OPERATION_ID_PREFIX_MAX_LENGTH} printable ASCII characters without spaces`,
  )
  check(typeof onError === 'function', 'onError', 'must be a function')
  if (issues.length > 0) throw new ProgressValidationError(issues)
  return {
    flushIntervalMs,
    maxPending,
    maxDetails,
    heartbeatIntervalMs,
    operationIdPrefix,
    onError,
    epoch,
  }
}

// The default onError: a background failure is logged, never swallowed; the batch is retried.
function warn(error: ProgressError): void {
  console.warn(error)
}
