import type { ProgressError } from './errors.js'
import type {
  CompleteStats,
  CrawlStatus,
  EventEnvelope,
  ProgressDelta,
  ProgressEnvelope,
  ProgressErrorInfo,
  ProgressInput,
  ProgressTotals,
  TerminalEnvelope,
} from './events.js'

/** The stored state of one crawl. */
export interface ProgressSnapshot {
  crawlId: string
  epoch: string
  status: CrawlStatus
  /** The last assigned seq (0 before the first event). */
  seq: number
  totals: ProgressTotals
  /** Epoch milliseconds of start() and of the last event. */
  startedAt: number
  updatedAt: number
  /** The terminal envelope once the crawl completed or failed, else null. */
  terminal: TerminalEnvelope | null
}

/** Receives envelopes in seq order, each exactly once. */
export type EnvelopeHandler = (envelope: ProgressEnvelope) => void

export interface SubscribeOptions {
  /**
   * Resume after this seq: the envelopes after it are replayed from history, then live ones
   * follow. Omitted: a `snapshot` of the current state comes first. A position that history no
   * longer holds (or ahead of the crawl) yields a snapshot with `resync: true` instead.
   */
  afterSeq?: number
  /**
   * The epoch that `afterSeq` belongs to. Another epoch means the crawl's state was lost and
   * started again: the subscriber gets a snapshot with `resync: true`.
   */
  epoch?: string
  /**
   * Called once if the subscription ends abnormally: the crawl was cleaned up or expired while
   * subscribed (CrawlNotFoundError), the service closed (code `service-closed`), the backend
   * failed (`backend-failure`) or the handler threw (`handler-failed`). No envelope follows.
   * Without onError, the last two surface as an uncaught exception; the others end quietly.
   * The memory backend ends subscriptions when a crawl expires; the Redis backend learns of a
   * removal from cleanup() in any process, or when a re-read finds the crawl gone.
   */
  onError?: (error: ProgressError) => void
}

export interface ProgressSubscription {
  /** Stops delivery at once (no envelope reaches the handler afterwards) and frees its resources. */
  unsubscribe(): Promise<void>
  /** True after unsubscribe(), after the terminal envelope was delivered, or after onError. */
  readonly closed: boolean
}

/** Counts of what an instance holds, for leak tests: all zero after cleanup of every crawl or close(). */
export interface ProgressServiceDiagnostics {
  /** Per-crawl entries held in this process (state or channel bookkeeping). */
  crawls: number
  /** Live subscriptions. */
  subscriptions: number
  /** Timers this instance has scheduled. */
  timers: number
}

/**
 * The contract every backend implements (memory, Redis, Redis Cluster). Every method validates
 * its input first: invalid input throws ProgressValidationError and writes nothing. Publishing to
 * a crawl that was never started, was cleaned up or expired throws CrawlNotFoundError and creates
 * nothing, so a late worker cannot resurrect a crawl.
 */
export interface ProgressService {
  /** Creates the crawl (status running, seq 0, a fresh epoch) or returns the existing one. */
  start(crawlId: string): Promise<ProgressSnapshot>
  /** Appends one event; returns its envelope with the assigned seq and the new totals. */
  publish(crawlId: string, input: ProgressInput): Promise<EventEnvelope>
  /** Appends up to 1,000 events in one atomic step; a terminal input may only come last. */
  publishBatch(crawlId: string, inputs: readonly ProgressInput[]): Promise<EventEnvelope[]>
  /** Publishes a `progress` event and returns the totals after it. */
  increment(crawlId: string, delta: ProgressDelta): Promise<ProgressTotals>
  /** Closes the crawl as completed: true for the one caller that closed it, false for the rest. */
  complete(crawlId: string, stats?: CompleteStats): Promise<boolean>
  /** Closes the crawl as failed: true for the one caller that closed it, false for the rest. */
  fail(crawlId: string, error: ProgressErrorInfo): Promise<boolean>
  /**
   * Delivers history after `afterSeq` (or a snapshot), then live envelopes, in seq order with no
   * gap and no duplicate. The handler may be called before the returned promise resolves. After
   * the terminal envelope the subscription closes by itself.
   */
  subscribe(
    crawlId: string,
    handler: EnvelopeHandler,
    options?: SubscribeOptions,
  ): Promise<ProgressSubscription>
  /** The crawl's state, or null when it does not exist. */
  getSnapshot(crawlId: string): Promise<ProgressSnapshot | null>
  /** Deletes the crawl's state now and ends its subscriptions; true if it existed. */
  cleanup(crawlId: string): Promise<boolean>
  /** Releases every connection, timer, listener and crawl entry this instance owns. */
  close(): Promise<void>
  diagnostics(): ProgressServiceDiagnostics
}
