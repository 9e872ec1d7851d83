import type { ProgressEnvelope, TerminalEnvelope } from '@docspasta/progress-core'
import { createParser } from 'eventsource-parser'
import { AsyncQueue } from './asyncQueue.js'
import { type BackoffOptions, backoffDelay, DEFAULT_BACKOFF, parseRetryAfter } from './backoff.js'
import { EnvelopeGate } from './envelopeGate.js'
import { ProgressClientError } from './errors.js'

export type ProgressClientStatus = 'connecting' | 'open' | 'reconnecting' | 'closed'

type HeadersSource = HeadersInit | (() => HeadersInit | Promise<HeadersInit>)

export interface SubscribeProgressOptions {
  /** Sent on every request; a function is called before each attempt (fresh auth tokens). */
  headers?: HeadersSource
  credentials?: RequestCredentials
  /** Any fetch implementation. Default: the global fetch. */
  fetch?: typeof fetch
  /** Aborting it closes the subscription. */
  signal?: AbortSignal
  /** Resume after this position (an SSE id: `<epoch>:<seq>:<tag>`), not from a snapshot. */
  lastEventId?: string
  backoff?: BackoffOptions
  /** No byte for this long → the connection is dead (half-open): reconnect. Default 45,000. */
  heartbeatTimeoutMs?: number
  /** A connection open this long resets the backoff. Default 10,000. */
  stableAfterMs?: number
  /** Opt-in envelope validation, e.g. `validateEnvelope` from `@docspasta/progress-client/validate`. */
  validate?: (data: unknown) => ProgressEnvelope
  /** Browser: drop the connection while the page is hidden, resume when visible. Default false. */
  pauseWhenHidden?: boolean
  onEvent?: (envelope: ProgressEnvelope) => void
  onStatus?: (status: ProgressClientStatus) => void
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
  const backoff = { ...DEFAULT_BACKOFF, ...options.backoff }
  const heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? 45_000
  const stableAfterMs = options.stableAfterMs ?? 10_000
  const random = options.random ?? Math.random
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis)
  const gate = new EnvelopeGate(options.lastEventId)
  const stop = new AbortController()
  const queue = new AsyncQueue<ProgressEnvelope>(() => finish(abortError()))
  let status: ProgressClientStatus = 'connecting'
  let attempt = 0
  let serverRetryMs: number | undefined
  let wake: (() => void) | undefined
  let hidden = false

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

  const report = (error: ProgressClientError) => {
    options.onError?.(error)
    if (error.fatal) finish(error)
  }

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done_, ms)
      function done_() {
        clearTimeout(timer)
        wake = undefined
        resolve()
      }
      wake = done_
    })

  // Browser only: reconnect at once when the network returns; optionally pause while hidden.
  const onOnline = () => wake?.()
  const onVisibility = () => {
    hidden = globalThis.document?.visibilityState === 'hidden'
    if (hidden) current?.abort()
    else wake?.()
  }
  const win = globalThis as { addEventListener?: typeof addEventListener; document?: Document }
  win.addEventListener?.('online', onOnline)
  if (options.pauseWhenHidden) win.document?.addEventListener('visibilitychange', onVisibility)
  function detachBrowser() {
    ;(globalThis as { removeEventListener?: typeof removeEventListener }).removeEventListener?.(
      'online',
      onOnline,
    )
    win.document?.removeEventListener('visibilitychange', onVisibility)
  }

  let current: AbortController | undefined
  function onCallerAbort() {
    finish(abortError())
  }

  /** One connection; returns the Retry-After it was told, if any. */
  async function connect(): Promise<number | undefined> {
    const attemptAbort = new AbortController()
    current = attemptAbort
    let openedAt: number | undefined
    const abort = () => attemptAbort.abort()
    stop.signal.addEventListener('abort', abort)
    let watchdog: ReturnType<typeof setTimeout> | undefined
    const feed = () => {
      clearTimeout(watchdog)
      watchdog = setTimeout(abort, heartbeatTimeoutMs)
    }
    try {
      const source = options.headers
      const headers = new Headers(typeof source === 'function' ? await source() : source)
      headers.set('Accept', 'text/event-stream')
      const resumeFrom = gate.lastEventId
      if (resumeFrom) headers.set('Last-Event-ID', resumeFrom)
      feed()
      const response = await doFetch(url, {
        headers,
        signal: attemptAbort.signal,
        cache: 'no-store',
        ...(options.credentials ? { credentials: options.credentials } : {}),
      })
      const { status: code } = response
      if (code === 204)
        throw new ProgressClientError('no-content', 'the server answered 204', { status: code })
      if (code === 429 || code >= 500) {
        await response.body?.cancel()
        report(
          new ProgressClientError('connection', `the server answered ${code}`, { status: code }),
        )
        return parseRetryAfter(response.headers.get('retry-after'))
      }
      if (code < 200 || code >= 300) {
        throw new ProgressClientError('http-status', `the server answered ${code}`, {
          status: code,
        })
      }
      const type = response.headers.get('content-type') ?? ''
      if (!type.toLowerCase().startsWith('text/event-stream') || !response.body) {
        throw new ProgressClientError('content-type', `expected text/event-stream, got "${type}"`)
      }
      setStatus('open')
      openedAt = Date.now()
      const parser = createParser({
        onRetry: (ms) => {
          serverRetryMs = ms
        },
        onEvent: (message) => {
          if (attemptAbort.signal.aborted) return
          let envelope: ProgressEnvelope
          try {
            const data: unknown = JSON.parse(message.data)
            envelope = options.validate ? options.validate(data) : (data as ProgressEnvelope)
          } catch (cause) {
            throw new ProgressClientError(
              'invalid-envelope',
              'the server sent an invalid envelope',
              { cause },
            )
          }
          const decision = gate.decide(envelope)
          if (decision === 'gap') {
            // The server fills the hole from history when asked again from the last seq seen.
            attemptAbort.abort()
            return
          }
          if (decision === 'drop') return
          queue.push(envelope)
          try {
            options.onEvent?.(envelope)
          } catch (thrown) {
            // The app's callback failed, not the stream: rethrow it unswallowed, carry on.
            queueMicrotask(() => {
              throw thrown
            })
          }
          if (envelope.type === 'complete' || envelope.type === 'error') finish(undefined, envelope)
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
          feed()
          parser.feed(value)
        }
      } finally {
        attemptAbort.signal.removeEventListener('abort', cancel)
        reader.releaseLock()
      }
      if (!stop.signal.aborted) {
        report(
          new ProgressClientError('connection', 'the stream ended before its terminal envelope'),
        )
      }
      return undefined
    } catch (error) {
      if (error instanceof ProgressClientError) report(error)
      else if (!stop.signal.aborted) {
        report(new ProgressClientError('connection', 'the connection failed', { cause: error }))
      }
      return undefined
    } finally {
      clearTimeout(watchdog)
      stop.signal.removeEventListener('abort', abort)
      // However it ended, a connection that stayed up long enough resets the backoff.
      if (openedAt !== undefined && Date.now() - openedAt >= stableAfterMs) attempt = 0
    }
  }

  async function run() {
    while (!stop.signal.aborted) {
      const retryAfterMs = await connect()
      if (stop.signal.aborted) break
      setStatus('reconnecting')
      const base = { ...backoff, initialMs: serverRetryMs ?? backoff.initialMs }
      const delay = Math.max(backoffDelay(attempt, base, random), retryAfterMs ?? 0)
      attempt += 1
      await sleep(delay)
      while (hidden && !stop.signal.aborted) await sleep(2 ** 31 - 1)
    }
  }

  if (options.signal?.aborted) finish(abortError())
  else {
    options.signal?.addEventListener('abort', onCallerAbort, { once: true })
    options.onStatus?.('connecting')
    void run()
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
