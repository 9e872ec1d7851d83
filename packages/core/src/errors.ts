/** Stable, kebab-case codes that callers can branch on. */
export type ProgressErrorCode =
  | 'invalid-input'
  | 'crawl-not-found'
  | 'crawl-closed'
  | 'service-closed'
  | 'backend-failure'
  | 'handler-failed'
  | 'response-unread'
  | 'reporter-closed'

const PROGRESS_ERROR_BRAND = Symbol.for('@docspasta/progress-core/error')

/** Base of every error this SDK throws; carries a stable `code` and the underlying `cause`. */
export class ProgressError extends Error {
  readonly code: ProgressErrorCode
  readonly [PROGRESS_ERROR_BRAND] = true

  constructor(code: ProgressErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    // Explicit, because minifiers rename classes.
    this.name = 'ProgressError'
  }
}

/**
 * True for any error of this SDK, also one thrown by another installed copy of the package
 * (where `instanceof` fails).
 */
export function isProgressError(error: unknown): error is ProgressError {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as Record<symbol, unknown>)[PROGRESS_ERROR_BRAND] === true
  )
}

/** One problem found in an input, at a dotted path such as `urls.3`. */
export interface ValidationIssue {
  path: string
  message: string
}

/** The input broke the event model or a bound; nothing was written. */
export class ProgressValidationError extends ProgressError {
  /** The first offending field, as a dotted path (`crawlId`, `urls.3`, `delta.processed`). */
  readonly field: string
  readonly issues: readonly ValidationIssue[]

  constructor(issues: readonly ValidationIssue[], options?: { cause?: unknown }) {
    const first = issues[0] ?? { path: '', message: 'invalid' }
    const field = first.path === '' ? 'input' : first.path
    super(
      'invalid-input',
      `@docspasta/progress-core: invalid ${field}: ${first.message}. Nothing was written.`,
      options,
    )
    this.name = 'ProgressValidationError'
    this.field = field
    this.issues = issues
  }
}

/** The crawl was never started, was cleaned up, or expired. */
export class CrawlNotFoundError extends ProgressError {
  readonly crawlId: string

  constructor(crawlId: string, options?: { cause?: unknown }) {
    super(
      'crawl-not-found',
      `@docspasta/progress-core: crawl "${crawlId}" does not exist (never started, cleaned up or expired). Call start() before publishing.`,
      options,
    )
    this.name = 'CrawlNotFoundError'
    this.crawlId = crawlId
  }
}

/**
 * The crawl already has its terminal event, or (`restarted`) was started over since the epoch
 * the caller works on: nothing more can be published by this caller.
 */
export class CrawlClosedError extends ProgressError {
  readonly crawlId: string
  /** True when the crawl was restarted under another epoch than the caller's. */
  readonly restarted: boolean

  constructor(crawlId: string, options?: { cause?: unknown; restarted?: boolean }) {
    super(
      'crawl-closed',
      options?.restarted
        ? `@docspasta/progress-core: crawl "${crawlId}" was restarted under a new epoch; the caller's epoch is over, so its work was not published.`
        : `@docspasta/progress-core: crawl "${crawlId}" is closed (it completed or failed); publish nothing after complete() or fail().`,
      options,
    )
    this.restarted = options?.restarted === true
    this.name = 'CrawlClosedError'
    this.crawlId = crawlId
  }
}

/** The service was closed; create a new one. */
export class ServiceClosedError extends ProgressError {
  constructor() {
    super('service-closed', '@docspasta/progress-core: the progress service is closed.')
    this.name = 'ServiceClosedError'
  }
}

/** The store failed (connection lost, command refused); `cause` holds the store's own error. */
export class ProgressBackendError extends ProgressError {
  constructor(operation: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause)
    super(
      'backend-failure',
      `@docspasta/progress-core: ${operation} failed in the store: ${reason}`,
      {
        cause,
      },
    )
    this.name = 'ProgressBackendError'
  }
}

/**
 * A progress stream whose consumer read nothing for `unreadTimeoutMs` (or never, up to its hard
 * cap) was released: what the runtime or reader holding the stream sees when it reads again.
 */
export class UnreadResponseError extends ProgressError {
  constructor() {
    super(
      'response-unread',
      '@docspasta/progress-core: the progress stream was not read for too long; it was released. A client resumes with its Last-Event-ID.',
    )
    this.name = 'UnreadResponseError'
  }
}

/** A progress reporter was closed (close(), complete() or fail()); create a new one. */
export class ReporterClosedError extends ProgressError {
  readonly crawlId: string

  constructor(crawlId: string) {
    super(
      'reporter-closed',
      `@docspasta/progress-core: the progress reporter of crawl "${crawlId}" is closed; create a new one.`,
    )
    this.name = 'ReporterClosedError'
    this.crawlId = crawlId
  }
}
