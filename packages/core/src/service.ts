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
  /** The tag of the event at `seq` (absent before the first event). */
  tag?: string
  /** The phase of the latest progress detail that named one (absent before any). */
  phase?: string
}

/** Options of every call that changes a crawl: publish, publishBatch, increment, complete, fail. */
export interface PublishOptions {
  /**
   * Makes the call idempotent across the caller's own retries: a call whose operation id the
   * crawl has already applied writes nothing and returns that call's outcome (the same
   * envelopes; for complete() and fail(), whether that call closed the crawl). Default: on Redis
   * a random id made once per call, so a command that the Redis client re-sends after a lost
   * reply is applied once (in memory nothing re-sends a call, and none is needed). Pass your own (for example `${jobId}:${page}`) to make a worker's retry after
   * a crash safe too. 1 to 128 printable ASCII characters, no spaces.
   *
   * A crawl remembers an operation id as long as its history holds the last envelope of that
   * call (at least the last `historyLimit` events, within `historyMaxBytes`) and, for the call
   * that closed it, until the crawl's state expires. An id older than that is applied again. An
   * id that an earlier call used without closing the crawl makes complete() and fail() throw
   * ProgressValidationError (`options.operationId`).
   */
  operationId?: string
  /**
   * The epoch the caller works on (from start() or restart()): if the crawl was restarted since,
   * the call throws CrawlClosedError (`restarted: true`) and writes nothing, so a worker of an
   * earlier attempt cannot add to the new one. The reporter passes it when it has one.
   */
  epoch?: string
}

/** Options of restart(). */
export interface RestartOptions {
  /**
   * Restart only this epoch: a crawl that was restarted since (by another worker) is returned as
   * it is. For a job that starts its own crawl over after a failed attempt.
   */
  epoch?: string
}

/** Options of heartbeat(). */
export interface HeartbeatOptions {
  /** The epoch the worker works on: for another one (a restart since) heartbeat() is false. */
  epoch?: string
}

/** Receives envelopes in seq order, each exactly once. */
export type EnvelopeHandler = (envelope: ProgressEnvelope) => void

export interface SubscribeOptions {
  /**
   * Resume after this seq: the envelopes after it are replayed from history, then live ones
   * follow. Omitted: a `snapshot` of the current state comes first. A position that history no
   * longer holds (or ahead of the crawl) yields a snapshot with `resync: true` instead.
   */
  afterSeq?: number | undefined
  /**
   * The epoch that `afterSeq` belongs to. Another epoch means the crawl's state was lost and
   * started again: the subscriber gets a snapshot with `resync: true`.
   */
  epoch?: string | undefined
  /**
   * The tag of the envelope at `afterSeq`. With it, a store that lost writes and gave `afterSeq`
   * to another event since (Redis restarted from older data, a failover to a lagging replica) is
   * detected: the subscriber gets a snapshot with `resync: true` instead of a silent skip.
   * Without it, only the epoch and the seq are checked.
   */
  tag?: string | undefined
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

/** What sweepStalled() did. */
export interface StallSweepResult {
  /** Crawls whose liveness was checked. */
  checked: number
  /** The crawls this call failed with code `stalled` (another process may have failed others). */
  stalled: string[]
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
 * nothing, so a late worker cannot resurrect a crawl. A call that would take a total past
 * Number.MAX_SAFE_INTEGER throws ProgressValidationError (field `totals.<counter>`) and writes
 * nothing; a batch is applied whole or not at all. Every call that changes a crawl is idempotent
 * under its operation id (see PublishOptions).
 */
export interface ProgressService {
  /** Creates the crawl (status running, seq 0, a fresh epoch) or returns the existing one. */
  start(crawlId: string): Promise<ProgressSnapshot>
  /**
   * Starts the crawl over in one atomic step, whatever its status: a new epoch, seq 0, zeroed
   * counters, empty history, status running (or creates it, as start() does). A crawl that is
   * already as new (running, seq 0, never claimed) is returned unchanged. Every open
   * subscriber gets a snapshot with `resync: true` of the new state; no reader ever sees the
   * crawl missing or half reset. For a job's next attempt after a failed one.
   */
  restart(crawlId: string, options?: RestartOptions): Promise<ProgressSnapshot>
  /**
   * Tells stall checkers that the crawl's workers are alive (so do publishes) and renews its idle
   * TTL. A heartbeat or an event claims the crawl: only a claimed crawl can be failed as stalled
   * (a queued job may wait for its worker however long). True while the crawl runs, false once it
   * is closed (or in another epoch than `options.epoch`); CrawlNotFoundError when it is gone.
   */
  heartbeat(crawlId: string, options?: HeartbeatOptions): Promise<boolean>
  /**
   * Fails with code `stalled` every crawl that this instance can find running, claimed by a
   * worker (an event or a heartbeat), with no publish and no heartbeat for `staleAfterMs`: the crawls it has subscribers for and, on Redis, the
   * running crawls of its prefix (an index kept by start(), never a KEYS scan). The terminal
   * check-and-set makes one caller win however many processes sweep at once. Runs by itself
   * for crawls with subscribers; call it from a cron for crawls nobody watches.
   */
  sweepStalled(): Promise<StallSweepResult>
  /** Appends one event; returns its envelope with the assigned seq and the new totals. */
  publish(crawlId: string, input: ProgressInput, options?: PublishOptions): Promise<EventEnvelope>
  /** Appends up to 1,000 events in one atomic step; a terminal input may only come last. */
  publishBatch(
    crawlId: string,
    inputs: readonly ProgressInput[],
    options?: PublishOptions,
  ): Promise<EventEnvelope[]>
  /** Publishes a `progress` event and returns the totals after it. */
  increment(
    crawlId: string,
    delta: ProgressDelta,
    options?: PublishOptions,
  ): Promise<ProgressTotals>
  /** Closes the crawl as completed: true for the one caller that closed it, false for the rest. */
  complete(crawlId: string, stats?: CompleteStats, options?: PublishOptions): Promise<boolean>
  /** Closes the crawl as failed: true for the one caller that closed it, false for the rest. */
  fail(crawlId: string, error: ProgressErrorInfo, options?: PublishOptions): Promise<boolean>
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
