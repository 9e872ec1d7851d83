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
