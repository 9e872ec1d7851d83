/** Stable codes of the client's errors. */
export type ProgressClientErrorCode =
  /** 204: the server says there is nothing to stream. Fatal. */
  | 'no-content'
  /** A 4xx other than 429 (401, 403, 404, …). Fatal. */
  | 'http-status'
  /** A 2xx response that is not text/event-stream. Fatal. */
  | 'content-type'
  /** Data that is not JSON or not a protocol v1 envelope: no reconnect can fix it. Fatal. */
  | 'protocol'
  /** An envelope the opt-in `validate` option rejected. Fatal. */
  | 'invalid-envelope'
  /** A url that cannot be resolved, or whose scheme is not http: or https:. Fatal, no request. */
  | 'invalid-url'
  /** 5xx, 429, a dropped or stalled connection: retried with backoff. */
  | 'connection'

/** An error of @docspasta/progress-client; `status` is the HTTP status when there was one. */
export class ProgressClientError extends Error {
  readonly code: ProgressClientErrorCode
  readonly status: number | undefined
  readonly fatal: boolean

  constructor(
    code: ProgressClientErrorCode,
    message: string,
    options: { status?: number; cause?: unknown } = {},
  ) {
    super(`@docspasta/progress-client: ${message}`, { cause: options.cause })
    this.name = 'ProgressClientError'
    this.code = code
    this.status = options.status
    this.fatal = code !== 'connection'
  }
}
