import type { ErrorRequestHandler, Response } from 'express'

/** The codes of the API's own error bodies (the stream route has the SDK's, same shape). */
export type ApiErrorCode =
  | 'invalid-request'
  | 'invalid-json'
  | 'payload-too-large'
  | 'unavailable'
  | 'internal'

/** Every error the API answers: a stable code, a message for people, the field at fault. */
export interface ApiErrorBody {
  error: { code: ApiErrorCode; message: string; field?: string }
}

export function sendApiError(res: Response, status: number, error: ApiErrorBody['error']): void {
  res.status(status).json({ error } satisfies ApiErrorBody)
}

/**
 * The app's last middleware: answers what a route threw as an ApiErrorBody. Body-parser's
 * errors become 400 or 413; anything else is logged and answered 500 without its message or
 * stack (Express's own handler would send the stack outside production).
 */
export function apiErrorHandler(onError: (error: unknown) => void): ErrorRequestHandler {
  return (error: unknown, _req, res, next) => {
    if (res.headersSent) {
      // Too late for a status: Express's handler closes the connection.
      next(error)
      return
    }
    const type = (error as { type?: unknown } | null)?.type
    if (type === 'entity.parse.failed') {
      sendApiError(res, 400, { code: 'invalid-json', message: 'the body is not valid JSON' })
    } else if (type === 'entity.too.large') {
      sendApiError(res, 413, { code: 'payload-too-large', message: 'the body is too large' })
    } else {
      onError(error)
      sendApiError(res, 500, { code: 'internal', message: 'the server failed; see its log' })
    }
  }
}
