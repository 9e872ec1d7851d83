import type { ProgressEnvelope, TerminalEnvelope } from '@docspasta/progress-protocol'
import { AsyncQueue } from './asyncQueue.js'
import {
  type BackoffOptions,
  backoffDelay,
  DEFAULT_BACKOFF,
  MIN_SERVER_RETRY_MS,
  parseRetryAfter,
} from './backoff.js'
import { checkTimingOptions } from './checkTimingOptions.js'
import { EnvelopeGate } from './envelopeGate.js'
import { ProgressClientError } from './errors.js'
import { readEnvelope } from './readEnvelope.js'
import { resolveStreamUrl } from './resolveStreamUrl.js'
import { withResumeStorage } from './resumeStorage.js'
import { createSseParser } from './sseParser.js'

/** `paused`: `pauseWhenHidden` dropped the connection while the page is hidden. */
export type ProgressClientStatus = 'connecting' | 'open' | 'reconnecting' | 'paused' | 'closed'

// From RequestInit, which Node's own types declare too: DOM-only names (HeadersInit,
// RequestCredentials) in the declarations would fail a Node project without the DOM lib.
type HeadersInit = NonNullable<RequestInit['headers']>
type RequestCredentials = NonNullable<RequestInit['credentials']>
type HeadersSource = HeadersInit | (() => HeadersInit | Promise<HeadersInit>)

export interface SubscribeProgressOptions {
  /**
   * Resolves a relative `url`. Default: the page's location in browsers and workers; none in
   * Node, where a relative url is a fatal `invalid-url`.
   */
  baseUrl?: string | URL
  /** Sent on every request; a function is called before each attempt (fresh auth tokens). */
  headers?: HeadersSource
  /**
   * Called on a 401: headers it returns are set over `headers` for an immediate retry (no
   * backoff) and every later attempt; undefined, a throw or a second 401 in a row is fatal
   * (`http-status`). It is asked again only after a connection opened since.
   */
  onUnauthorized?: (
    error: ProgressClientError,
  ) => HeadersInit | undefined | Promise<HeadersInit | undefined>
  credentials?: RequestCredentials
  /** Any fetch implementation. Default: the global fetch. */
  fetch?: typeof fetch
  /** Aborting it closes the subscription. */
  signal?: AbortSignal
  /** Resume after this position (an SSE id: `<epoch>:<seq>:<tag>`), not from a snapshot. */
  lastEventId?: string
  /**
   * Browser: keep the position in sessionStorage under this key, so a reloaded page resumes
   * where it was (unless `lastEventId` is given); removed after the terminal envelope.
   */
  resumeKey?: string
  backoff?: BackoffOptions
  /** No byte for this long → the connection is dead (half-open): reconnect. Default 45,000. */
  heartbeatTimeoutMs?: number
  /** A connection open this long resets the backoff. Default 10,000. */
  stableAfterMs?: number
  /** Opt-in envelope validation, e.g. `validateEnvelope` from `@docspasta/progress-client/validate`. */
  validate?: (data: unknown) => ProgressEnvelope
  /**
   * Browser: drop the connection while the page is hidden (status `paused`, no error), and
   * reconnect at once when it is visible again. Default false.
   */
  pauseWhenHidden?: boolean
  onEvent?: (envelope: ProgressEnvelope) => void
  onStatus?: (status: ProgressClientStatus) => void
  /**
   * Called as each wait before a reconnect begins, with its length (backoff, Retry-After or the
   * server's `retry:`): a UI shows "reconnecting in N s". Status is `reconnecting` meanwhile.
   */
  onRetry?: (delayMs: number) => void
  /** Every problem, recoverable or fatal; recoverable ones are followed by a reconnect. */
  onError?: (error: ProgressClientError) => void
  /** Source of jitter, for tests. Default Math.random. */
  random?: () => number
}

export interface ProgressSubscriptionHandle extends AsyncIterable<ProgressEnvelope> {
  /** Stops every timer and the request in flight; `done` then rejects with an AbortError. */
  close(): void
  /** Resolves with the terminal envelope; rejects on a fatal error or close(). */
  readonly done: Promise<TerminalEnvelope>
  readonly status: ProgressClientStatus
  /** The position a reconnect resumes from. */
  readonly lastEventId: string | undefined
}

/** setTimeout's longest delay: a longer one fires at once, in browsers and in Node. */
const MAX_TIMER_MS = 2 ** 31 - 1
/** The abort reason of a connection dropped because the page was hidden. */
const PAUSED = 'paused'

/**
 * Subscribes to a progress stream over fetch: reconnects forever on network errors, 5xx, 429 and
 * 503 (exponential backoff with full jitter, Retry-After and the server's `retry:` honoured),
 * resumes with Last-Event-ID, drops duplicates, reconnects on a seq gap or a silent connection,
 * and ends cleanly after the terminal envelope. It never falls back to polling.
 *
 * @example
 * const progress = subscribeProgress(progressStreamPath(crawlId), { onEvent: render })
 * const terminal = await progress.done
 */
export function subscribeProgress(
  url: string | URL,
  options: SubscribeProgressOptions = {},
): ProgressSubscriptionHandle {
  // An option given as undefined keeps its default, as an absent one does.
  const backoff: Required<BackoffOptions> = { ...DEFAULT_BACKOFF }
  for (const [key, value] of Object.entries(options.backoff ?? {}) as [
    keyof BackoffOptions,
    number,
  ][]) {
    if (value !== undefined) backoff[key] = value
  }
  const heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? 45_000
  const stableAfterMs = options.stableAfterMs ?? 10_000
  checkTimingOptions(backoff, heartbeatTimeoutMs, stableAfterMs)
  const random = options.random ?? Math.random
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis)
  const { resumeKey } = options
  const gate = new EnvelopeGate(
    options.lastEventId ??
      withResumeStorage(resumeKey, (storage, key) => storage.getItem(key)) ??
      undefined,
  )
  const stop = new AbortController()
  const queue = new AsyncQueue<ProgressEnvelope>(() => finish(abortError()))
  let status: ProgressClientStatus = 'connecting'
  let streamUrl = ''
  let attempt = 0
  let serverRetryMs: number | undefined
  let wake: (() => void) | undefined
  let hidden = false
  let current: AbortController | undefined
  /** What onUnauthorized returned, sent over `headers` from then on. */
  let refreshedHeaders: HeadersInit | undefined
  /** Once per opened connection, so that headers the server keeps refusing cannot loop. */
  let mayAskForHeaders = true

  let settle: { resolve: (t: TerminalEnvelope) => void; reject: (e: unknown) => void }
  const done = new Promise<TerminalEnvelope>((resolve, reject) => {
    settle = { resolve, reject }
  })
  // Observed through done, onError or the iterator; never an unhandled rejection by itself.
  done.catch(() => undefined)

  const setStatus = (next: ProgressClientStatus) => {
    if (status === next) return
    status = next
    options.onStatus?.(next)
  }

  const finish = (error?: unknown, terminal?: TerminalEnvelope) => {
    if (stop.signal.aborted) return
    stop.abort()
    wake?.()
    detachBrowser()
    options.signal?.removeEventListener('abort', onCallerAbort)
    setStatus('closed')
    queue.end(error)
    if (terminal) settle.resolve(terminal)
    else settle.reject(error)
  }

  /** Nothing is reported after the subscription ended (a late answer of onUnauthorized). */
  const report = (error: ProgressClientError) => {
    if (stop.signal.aborted) return
    callApp(() => options.onError?.(error))
    if (error.fatal) finish(error)
  }

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done_, Math.min(ms, MAX_TIMER_MS))
      function done_() {
        clearTimeout(timer)
        wake = undefined
        resolve()
      }
      wake = done_
    })

  // Browser only: reconnect at once when the network returns; optionally pause while hidden.
  const onOnline = () => wake?.()
  const win = globalThis as { addEventListener?: typeof addEventListener; document?: Document }
  const onVisibility = () => {
    hidden = win.document?.visibilityState === 'hidden'
    if (hidden) current?.abort(PAUSED)
    wake?.()
  }
  win.addEventListener?.('online', onOnline)
  if (options.pauseWhenHidden) {
    win.document?.addEventListener('visibilitychange', onVisibility)
    onVisibility()
  }
  function detachBrowser() {
    ;(globalThis as { removeEventListener?: typeof removeEventListener }).removeEventListener?.(
      'online',
      onOnline,
    )
    win.document?.removeEventListener('visibilitychange', onVisibility)
  }

  function onCallerAbort() {
    finish(abortError())
  }

  /**
   * One attempt. Resolves with undefined to go again at once (the page was hidden, or
   * onUnauthorized gave new headers), else with the least wait before the next attempt: the
   * Retry-After it was told, or 0.
   */
  async function connect(): Promise<number | undefined> {
    const attemptAbort = new AbortController()
    current = attemptAbort
    let openedAt: number | undefined
    const abort = () => attemptAbort.abort()
    const isPaused = () => attemptAbort.signal.reason === PAUSED
    stop.signal.addEventListener('abort', abort)
    let watchdog: ReturnType<typeof setTimeout> | undefined
    const resetWatchdog = () => {
      clearTimeout(watchdog)
      watchdog = setTimeout(abort, Math.min(heartbeatTimeoutMs, MAX_TIMER_MS))
    }
    try {
      const source = options.headers
      const headers = new Headers(typeof source === 'function' ? await source() : source)
      for (const [name, value] of new Headers(refreshedHeaders)) headers.set(name, value)
      headers.set('Accept', 'text/event-stream')
      const resumeFrom = gate.lastEventId
      if (resumeFrom) headers.set('Last-Event-ID', resumeFrom)
      resetWatchdog()
      const response = await doFetch(streamUrl, {
        headers,
        signal: attemptAbort.signal,
        cache: 'no-store',
        ...(options.credentials ? { credentials: options.credentials } : {}),
      })
      const { status: code } = response
      const answered = `the server answered ${code}`
      if (code === 204) throw new ProgressClientError('no-content', answered, { status: code })
      if (code === 429 || code >= 500) {
        await response.body?.cancel()
        report(new ProgressClientError('connection', answered, { status: code }))
        return parseRetryAfter(response.headers.get('retry-after')) ?? 0
      }
      if (code < 200 || code >= 300) {
        const error = new ProgressClientError('http-status', answered, { status: code })
        if (code !== 401 || !options.onUnauthorized || !mayAskForHeaders) throw error
        mayAskForHeaders = false
        await response.body?.cancel()
        let fresh: HeadersInit | undefined
        try {
          fresh = await options.onUnauthorized(error)
        } catch (cause) {
          throw new ProgressClientError('http-status', `${answered}; onUnauthorized threw`, {
            status: code,
            cause,
          })
        }
        if (!fresh) throw error
        refreshedHeaders = fresh
        return undefined
      }
      const type = response.headers.get('content-type') ?? ''
      if (!type.toLowerCase().startsWith('text/event-stream') || !response.body) {
        throw new ProgressClientError('content-type', `expected text/event-stream, got "${type}"`)
      }
      setStatus('open')
      mayAskForHeaders = true
      openedAt = Date.now()
      const parse = createSseParser({
        onRetry: (ms) => {
          serverRetryMs = Math.max(ms, MIN_SERVER_RETRY_MS)
        },
        onEvent: ({ data }) => {
          if (attemptAbort.signal.aborted) return
          let envelope: ProgressEnvelope
          try {
            envelope = readEnvelope(data, options.validate)
          } catch (error) {
            report(error as ProgressClientError)
            return
          }
          const decision = gate.decide(envelope)
          if (decision === 'gap') {
            // The server fills the hole from history when asked again from the last seq seen.
            attemptAbort.abort()
            return
          }
          const isTerminal = envelope.type === 'complete' || envelope.type === 'error'
          if (decision === 'drop') {
            // The terminal this client already held (it resumed from the terminal's id, and the
            // server replayed it): delivered before, so only the end is left.
            if (isTerminal) finish(undefined, envelope as TerminalEnvelope)
            return
          }
          // After the terminal a reload must start over (a snapshot, then the final state),
          // not resume past the end (a 204).
          withResumeStorage(resumeKey, (storage, key) =>
            isTerminal ? storage.removeItem(key) : storage.setItem(key, gate.lastEventId ?? ''),
          )
          queue.push(envelope)
          callApp(() => options.onEvent?.(envelope))
          if (isTerminal) finish(undefined, envelope as TerminalEnvelope)
        },
      })
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
      // Not every fetch ends its body on abort; cancelling the reader always does.
      const cancel = () => void reader.cancel().catch(() => undefined)
      attemptAbort.signal.addEventListener('abort', cancel)
      try {
        for (;;) {
          const { done: ended, value } = await reader.read()
          if (ended) break
          resetWatchdog()
          parse(value)
        }
      } finally {
        attemptAbort.signal.removeEventListener('abort', cancel)
        reader.releaseLock()
      }
      if (!isPaused()) {
        report(
          new ProgressClientError('connection', 'the stream ended before its terminal envelope'),
        )
      }
    } catch (error) {
      if (error instanceof ProgressClientError) report(error)
      else if (!isPaused()) {
        report(new ProgressClientError('connection', 'the connection failed', { cause: error }))
      }
    } finally {
      clearTimeout(watchdog)
      stop.signal.removeEventListener('abort', abort)
      // However it ended, a connection that stayed up long enough resets the backoff.
      if (openedAt !== undefined && Date.now() - openedAt >= stableAfterMs) attempt = 0
    }
    return isPaused() ? undefined : 0
  }

  async function run() {
    try {
      streamUrl = resolveStreamUrl(url, options.baseUrl)
    } catch (error) {
      report(error as ProgressClientError)
      return
    }
    while (!stop.signal.aborted) {
      if (hidden) {
        setStatus('paused')
        await sleep(MAX_TIMER_MS)
        continue
      }
      if (status === 'paused') setStatus('reconnecting')
      const minWaitMs = await connect()
      if (minWaitMs === undefined || stop.signal.aborted) continue
      setStatus('reconnecting')
      const base = { ...backoff, initialMs: serverRetryMs ?? backoff.initialMs }
      const delay = Math.max(backoffDelay(attempt, base, random), minWaitMs)
      attempt += 1
      callApp(() => options.onRetry?.(delay))
      await sleep(delay)
    }
  }

  if (options.signal?.aborted) finish(abortError())
  else {
    options.signal?.addEventListener('abort', onCallerAbort, { once: true })
    options.onStatus?.('connecting')
    // Not before the handle is returned: a callback may use it (close() from onError).
    void Promise.resolve().then(run)
  }

  return {
    close: () => finish(abortError()),
    done,
    get status() {
      return status
    },
    get lastEventId() {
      return gate.lastEventId
    },
    [Symbol.asyncIterator]: () => queue[Symbol.asyncIterator](),
  }
}

function abortError(): Error {
  return new DOMException('the subscription was closed', 'AbortError')
}

/** Runs an app callback: its exception is the app's, not the stream's: rethrown unswallowed. */
function callApp(callback: () => void): void {
  try {
    callback()
  } catch (thrown) {
    queueMicrotask(() => {
      throw thrown
    })
  }
}
