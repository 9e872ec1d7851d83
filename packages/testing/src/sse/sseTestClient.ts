import { type ClientRequest, get, type IncomingMessage } from 'node:http'
import type { ProgressEnvelope } from '@docspasta/progress-core'
import { createParser } from 'eventsource-parser'

/** A plain SSE reader over node:http for tests: records envelopes, ids, comments and the end. */
export class SseTestClient {
  readonly envelopes: ProgressEnvelope[] = []
  readonly ids: string[] = []
  comments = 0
  retry: number | undefined
  status = 0
  headers: IncomingMessage['headers'] = {}
  body = ''
  /** Resolves when the server ends the response (or the socket closes). */
  readonly ended: Promise<void>
  readonly #request: ClientRequest
  #response: IncomingMessage | undefined
  readonly #listeners = new Set<() => void>()

  constructor(url: string, headers: Record<string, string> = {}) {
    const parser = createParser({
      onEvent: (message) => {
        if (message.id) this.ids.push(message.id)
        this.envelopes.push(JSON.parse(message.data) as ProgressEnvelope)
        this.#notify()
      },
      onComment: () => {
        this.comments += 1
        this.#notify()
      },
      onRetry: (retry) => {
        this.retry = retry
      },
    })
    let resolveEnded: () => void = () => {}
    this.ended = new Promise((resolve) => {
      resolveEnded = resolve
    })
    this.#request = get(url, { headers, agent: false }, (response) => {
      this.#response = response
      this.status = response.statusCode ?? 0
      this.headers = response.headers
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => {
        if (this.status === 200) parser.feed(chunk)
        else this.body += chunk
      })
      response.on('close', () => {
        resolveEnded()
        this.#notify()
      })
    })
    this.#request.on('error', () => {
      resolveEnded()
      this.#notify()
    })
  }

  /** The paused response, for tests that read slowly. */
  get response(): IncomingMessage | undefined {
    return this.#response
  }

  get lastId(): string | undefined {
    return this.ids.at(-1)
  }

  /** Resolves once `predicate` holds (checked on every event); rejects after `timeoutMs`. */
  waitFor(predicate: () => boolean, timeoutMs = 15_000): Promise<void> {
    if (predicate()) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#listeners.delete(check)
        reject(
          new Error(`timed out with ${this.envelopes.length} envelopes, status ${this.status}`),
        )
      }, timeoutMs)
      const check = () => {
        if (!predicate()) return
        clearTimeout(timer)
        this.#listeners.delete(check)
        resolve()
      }
      this.#listeners.add(check)
    })
  }

  /** Drops the connection from the client side, as a network failure would. */
  close(): void {
    this.#request.destroy()
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) listener()
  }
}
