import { ProgressError } from '@docspasta/progress-protocol'

// The base class, the guard and the validation error live in @docspasta/progress-protocol, so
// that browsers share them without zod; the errors only a service throws live here.
export {
  isProgressError,
  ProgressError,
  type ProgressErrorCode,
  ProgressValidationError,
  type ValidationIssue,
} from '@docspasta/progress-protocol'

/** The crawl was never started, was cleaned up, or expired. */
export class CrawlNotFoundError extends ProgressError {
  static override readonly errorName: string = 'CrawlNotFoundError'

  readonly crawlId: string

  constructor(crawlId: string, options?: { cause?: unknown }) {
    super(
      'crawl-not-found',
      `@docspasta/progress-core: crawl "${crawlId}" does not exist (never started, cleaned up or expired). Call start() before publishing.`,
      options,
    )
    this.crawlId = crawlId
  }
}

/**
 * The crawl already has its terminal event, or (`restarted`) was started over since the epoch
 * the caller works on: nothing more can be published by this caller.
 */
export class CrawlClosedError extends ProgressError {
  static override readonly errorName: string = 'CrawlClosedError'

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
    this.crawlId = crawlId
  }
}

/** The service was closed; create a new one. */
export class ServiceClosedError extends ProgressError {
  static override readonly errorName: string = 'ServiceClosedError'

  constructor() {
    super('service-closed', '@docspasta/progress-core: the progress service is closed.')
  }
}

/** The store failed (connection lost, command refused); `cause` holds the store's own error. */
export class ProgressBackendError extends ProgressError {
  static override readonly errorName: string = 'ProgressBackendError'

  constructor(operation: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause)
    super(
      'backend-failure',
      `@docspasta/progress-core: ${operation} failed in the store: ${reason}`,
      {
        cause,
      },
    )
  }
}

/**
 * A progress stream whose consumer read nothing for `unreadTimeoutMs` (or never, up to its hard
 * cap) was released: what the runtime or reader holding the stream sees when it reads again.
 */
export class UnreadResponseError extends ProgressError {
  static override readonly errorName: string = 'UnreadResponseError'

  constructor() {
    super(
      'response-unread',
      '@docspasta/progress-core: the progress stream was not read for too long; it was released. A client resumes with its Last-Event-ID.',
    )
  }
}

/** A progress reporter was closed (close(), complete() or fail()); create a new one. */
export class ReporterClosedError extends ProgressError {
  static override readonly errorName: string = 'ReporterClosedError'

  readonly crawlId: string

  constructor(crawlId: string) {
    super(
      'reporter-closed',
      `@docspasta/progress-core: the progress reporter of crawl "${crawlId}" is closed; create a new one.`,
    )
    this.crawlId = crawlId
  }
}
