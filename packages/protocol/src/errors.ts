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
  /** The class's name, which its errors carry as `name` (explicit: minifiers rename classes). */
  static readonly errorName: string = 'ProgressError'

  /**
   * `instanceof` that also holds across copies of the SDK in one process: its ESM and CommonJS
   * builds both loaded, or two installed versions. Such an error has the brand and the name of
   * the class it was made by; every one of them is a ProgressError.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: the class on the right of instanceof (a subclass too)
    return isInstanceOf(this, value)
  }

  readonly code: ProgressErrorCode
  readonly [PROGRESS_ERROR_BRAND] = true

  constructor(code: ProgressErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.name = (new.target as typeof ProgressError).errorName
  }
}

/**
 * True for any error of this SDK, also one thrown by another copy of it (its other build, or
 * another installed version), for a value of unknown type.
 */
export function isProgressError(error: unknown): error is ProgressError {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as Record<symbol, unknown>)[PROGRESS_ERROR_BRAND] === true
  )
}

/**
 * The native check, which stands for every error of this copy. An error of another copy is known
 * by its brand and matched by name, against a class that names its errors itself (a subclass
 * without its own errorName is no other copy's class).
 */
function isInstanceOf(errorClass: typeof ProgressError, value: unknown): boolean {
  const native = Function.prototype[Symbol.hasInstance]
  if (native.call(errorClass, value)) return true
  if (native.call(ProgressError, value) || !isProgressError(value)) return false
  if (errorClass === ProgressError) return true
  return Object.hasOwn(errorClass, 'errorName') && value.name === errorClass.errorName
}

/** One problem found in an input, at a dotted path such as `urls.3`. */
export interface ValidationIssue {
  path: string
  message: string
}

/** The input broke the event model or a bound; nothing was written. */
export class ProgressValidationError extends ProgressError {
  static override readonly errorName: string = 'ProgressValidationError'

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
    this.field = field
    this.issues = issues
  }
}
