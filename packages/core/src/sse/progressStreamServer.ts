import { DEFAULT_PROGRESS_BASE_PATH } from '@docspasta/progress-protocol'
import { isProgressError, ProgressValidationError } from '../errors.js'
import type { ProgressService } from '../service.js'
import { parseCrawlId } from '../validate.js'
import { errorResponse } from './errorResponse.js'
import {
  type ConnectionAnswer,
  type ConnectionAnswering,
  OPEN_CONNECTION,
} from './openConnection.js'
import { PreparedEnvelopes } from './preparedEnvelopes.js'
import {
  ProgressConnection,
  type ProgressConnectionHooks,
  type ProgressStreamTuning,
  resolveStreamTuning,
  streamPreamble,
} from './progressConnection.js'
import { connectionReadableStream } from './readableStreamOutput.js'
import { parseLastEventId, SSE_HEADERS } from './sseEncoding.js'

/** true: allowed; false: 403; or an explicit 401/403 with a message for the client. */
export type AuthorizeResult = boolean | { status: 401 | 403; message?: string }

export interface ProgressStreamServerOptions extends ProgressStreamTuning {
  service: ProgressService
  /** Where the routes are mounted; crawl ids are read from `<basePath>/<crawlId>/stream`. */
  basePath?: string
  /** Runs after the crawl id is validated and before anything touches the store. */
  authorize?: (request: Request, crawlId: string) => AuthorizeResult | Promise<AuthorizeResult>
  /** Open connections this server accepts; past it, 503 with Retry-After. Default 10,000. */
  maxConnections?: number
  /** Seconds in Retry-After of a 503. Default 5. */
  retryAfterSeconds?: number
  /** Problems that cannot become a status code any more. Default: console.error. */
  onError?: (error: unknown) => void
}

/** What a framework already knows about the request; `undefined` counts as absent. */
export interface HandleOptions {
  /** The crawl id the router parsed; else it is read from `<basePath>/<crawlId>/stream`. */
  crawlId?: string | undefined
  /** Ends the stream when aborted; default `request.signal`. */
  signal?: AbortSignal | undefined
}

export interface ProgressStreamServerDiagnostics {
  /** Open SSE connections. */
  connections: number
  /** Timers held by open connections (heartbeat, flush). */
  timers: number
  /** Bytes queued for slow consumers, summed over the open connections. */
  queuedBytes: number
  /** Connections this server let go of early, since it was created (cumulative). */
  released: {
    /** Nobody read the response: dropped unread by a framework, or a client that stopped reading. */
    unread: number
    /** The client fell further behind than `queueHardLimitBytes`. */
    overflow: number
  }
}

/** Serves progress streams for one service: the state (connection count, encoding cache) lives here. */
export interface ProgressStreamServer {
  /**
   * Answers one request. GET: 400 for an invalid crawl id, 401/403 from `authorize`, 503 past
   * maxConnections or when the store fails, 404 for an unknown crawl, 204 when the client holds
   * the terminal envelope, else 200 with the SSE stream. HEAD: the same checks up to `authorize`,
   * then the stream's headers without a body; it never touches the store or opens a stream.
   * Any other method: 405 with `Allow: GET, HEAD`.
   *
   * @param options.crawlId - the crawl, when the framework already parsed it; else read from the URL
   * @param options.signal - ends the stream when aborted; default `request.signal`
   */
  handle(request: Request, options?: HandleOptions): Promise<Response>
  diagnostics(): ProgressStreamServerDiagnostics
  /** Ends every open connection (clients resume elsewhere with their Last-Event-ID). */
  close(): void
}

/**
 * Creates the framework-agnostic SSE side for a ProgressService; the Web `Response` it returns
 * works in Next.js route handlers, Hono, Bun and Deno, and `@docspasta/progress-core/node`
 * adapts it to node:http.
 *
 * @example
 * const streams = createProgressStreamServer({ service })
 * export const GET = (request: Request) => streams.handle(request)
 */
export function createProgressStreamServer(
  options: ProgressStreamServerOptions,
): ProgressStreamServer {
  const { service, authorize, onError = console.error } = options
  const basePath = (options.basePath ?? DEFAULT_PROGRESS_BASE_PATH).replace(/\/$/, '')
  if (!basePath.startsWith('/')) {
    throw new RangeError(
      `@docspasta/progress-core: basePath must start with "/", got "${basePath}"`,
    )
  }
  const maxConnections = positiveInteger('maxConnections', options.maxConnections ?? 10_000)
  const retryAfter = String(positiveInteger('retryAfterSeconds', options.retryAfterSeconds ?? 5))
  const tuning = resolveStreamTuning(options)
  const prepared = new PreparedEnvelopes()
  const connections = new Set<ProgressConnection>()
  // Requests past the limit check that are not connections yet (authorize, subscribe).
  let admitting = 0
  let timers = 0
  const released = { unread: 0, overflow: 0 }
  const preamble = streamPreamble(tuning)
  const hooks: ProgressConnectionHooks = {
    encode: prepared.encode,
    prepare: prepared.prepare,
    onClosed: (connection, reason) => {
      connections.delete(connection)
      if (reason === 'unread' || reason === 'overflow') released[reason] += 1
    },
    onError,
    onTimers: (delta) => {
      timers += delta
    },
  }

  const openConnection = async (
    crawlId: string,
    lastEventId: string | null | undefined,
    signal: AbortSignal | undefined,
    onCounted: () => void,
  ) => {
    const connection = new ProgressConnection(service, crawlId, { tuning, preamble, signal }, hooks)
    connections.add(connection)
    onCounted()
    await connection.open(parseLastEventId(lastEventId))
    return connection
  }

  const crawlIdFromUrl = (request: Request): string | undefined => {
    const { pathname } = new URL(request.url)
    const prefix = `${basePath}/`
    if (!pathname.startsWith(prefix) || !pathname.endsWith('/stream')) return undefined
    const segment = pathname.slice(prefix.length, -'/stream'.length)
    try {
      return decodeURIComponent(segment)
    } catch {
      return undefined
    }
  }

  /** The answer of `authorize`, as a Response when it refuses. */
  const refusal = async (request: Request, crawlId: string) => {
    if (!authorize) return undefined
    let verdict: AuthorizeResult
    try {
      verdict = await authorize(request, crawlId)
    } catch (error) {
      onError(error)
      return errorResponse(500, 'authorize-failed', 'the authorization check failed')
    }
    if (verdict === true) return undefined
    const status = verdict === false ? 403 : verdict.status
    const message = (verdict !== false && verdict.message) || 'not allowed to read this crawl'
    return errorResponse(status, status === 401 ? 'unauthorized' : 'forbidden', message)
  }

  /** Authorization, then the stream: an open connection (200), 204, 404 or 503. */
  const admit = async (
    request: Request,
    crawlId: string,
    signal: AbortSignal,
    onCounted: () => void,
  ): Promise<ConnectionAnswer> => {
    const refused = await refusal(request, crawlId)
    if (refused) return { response: refused }
    const url = new URL(request.url)
    // An empty header is no position; the query parameter may still hold one.
    const lastEventId = request.headers.get('last-event-id') || url.searchParams.get('lastEventId')
    try {
      const connection = await openConnection(crawlId, lastEventId, signal, onCounted)
      if (connection.isExhausted) {
        // The client already holds the terminal envelope; 204 also stops an EventSource.
        connection.close()
        return { response: new Response(null, { status: 204 }) }
      }
      return { connection }
    } catch (error) {
      if (isProgressError(error) && error.code === 'crawl-not-found') {
        return { response: errorResponse(404, 'crawl-not-found', `no crawl "${crawlId}"`) }
      }
      onError(error)
      return {
        response: errorResponse(503, 'unavailable', 'progress is unavailable; retry later', {
          'Retry-After': retryAfter,
        }),
      }
    }
  }

  /** Validates the crawl id: the id, or the 400 that answers the request. */
  const crawlIdOf = (request: Request, handleOptions: HandleOptions): string | Response => {
    const rawId = handleOptions.crawlId ?? crawlIdFromUrl(request)
    if (rawId === undefined) {
      return errorResponse(400, 'invalid-input', `the stream path is ${basePath}/<crawlId>/stream`)
    }
    try {
      return parseCrawlId(rawId)
    } catch (error) {
      const reason = error instanceof ProgressValidationError ? error.issues[0]?.message : undefined
      return errorResponse(400, 'invalid-input', `invalid crawl id: ${reason ?? 'malformed'}`)
    }
  }

  /** HEAD: what GET would answer up to authorization, without a body or a stream. */
  const head = async (request: Request, handleOptions: HandleOptions) => {
    const crawlId = crawlIdOf(request, handleOptions)
    const answer =
      typeof crawlId === 'string'
        ? ((await refusal(request, crawlId)) ?? new Response(null, { headers: SSE_HEADERS }))
        : crawlId
    return new Response(null, { status: answer.status, headers: answer.headers })
  }

  const answer = async (
    request: Request,
    handleOptions: HandleOptions = {},
  ): Promise<ConnectionAnswer> => {
    if (request.method === 'HEAD') return { response: await head(request, handleOptions) }
    if (request.method !== 'GET') {
      return {
        response: errorResponse(405, 'method-not-allowed', 'progress streams answer GET and HEAD', {
          Allow: 'GET, HEAD',
        }),
      }
    }
    const crawlId = crawlIdOf(request, handleOptions)
    if (typeof crawlId !== 'string') return { response: crawlId }
    if (connections.size + admitting >= maxConnections) {
      return {
        response: errorResponse(
          503,
          'over-capacity',
          'too many open progress streams; retry later',
          { 'Retry-After': retryAfter },
        ),
      }
    }
    // Counted from here until it is a connection (then `connections` counts it) or refused.
    admitting += 1
    let admitted = false
    const counted = () => {
      if (admitted) return
      admitted = true
      admitting -= 1
    }
    try {
      return await admit(request, crawlId, handleOptions.signal ?? request.signal, counted)
    } finally {
      counted()
    }
  }

  const server: ProgressStreamServer & ConnectionAnswering = {
    async handle(request, handleOptions) {
      const { response, connection } = await answer(request, handleOptions)
      if (response) return response
      return new Response(connectionReadableStream(connection), {
        status: 200,
        headers: SSE_HEADERS,
      })
    },
    [OPEN_CONNECTION]: answer,
    diagnostics() {
      let queuedBytes = 0
      for (const connection of connections) queuedBytes += connection.queuedBytes
      return { connections: connections.size, timers, queuedBytes, released: { ...released } }
    },
    close() {
      for (const connection of [...connections]) connection.close()
    },
  }
  return server
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(
      `@docspasta/progress-core: ${name} must be a positive integer, got ${value}`,
    )
  }
  return value
}
