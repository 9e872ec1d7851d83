import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { subscribeProgress } from '../../src/index.js'
import {
  completeEnvelope,
  progressEnvelope,
  snapshotEnvelope,
  sseMessage,
} from '../support/sseText.js'

// The browser-only options in Node, with stand-ins for document and sessionStorage; the real
// thing runs in Chromium (test/browser).
function streamFetch(...bodies: string[]) {
  let call = 0
  return vi.fn(async (_url: string | URL | Request, _init?: RequestInit) => {
    const body = bodies[Math.min(call++, bodies.length - 1)]
    return new Response(body, { headers: { 'Content-Type': 'text/event-stream' } })
  })
}

describe('pauseWhenHidden on a page that starts hidden', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
    vi.unstubAllGlobals()
  })

  it('makes no request until the page is visible, then connects at once', async () => {
    const page = Object.assign(new EventTarget(), { visibilityState: 'hidden' })
    vi.stubGlobal('document', page)
    const fetch = streamFetch(sseMessage(completeEnvelope('e', 1)))
    const statuses: string[] = []
    const subscription = subscribeProgress('http://x/stream', {
      fetch: fetch as unknown as typeof globalThis.fetch,
      pauseWhenHidden: true,
      onStatus: (status) => statuses.push(status),
    })
    await vi.advanceTimersByTimeAsync(60_000)
    expect(fetch).not.toHaveBeenCalled()
    expect(subscription.status).toBe('paused')
    page.visibilityState = 'visible'
    page.dispatchEvent(new Event('visibilitychange'))
    await expect(subscription.done).resolves.toMatchObject({ type: 'complete' })
    expect(fetch).toHaveBeenCalledTimes(1)
    expect(statuses).toEqual(['connecting', 'paused', 'reconnecting', 'open', 'closed'])
  })
})

describe('resumeKey', () => {
  afterEach(() => {
    vi.unstubAllGlobals()
  })

  function memoryStorage(entries: Record<string, string> = {}) {
    const map = new Map(Object.entries(entries))
    return {
      map,
      getItem: (key: string) => map.get(key) ?? null,
      setItem: (key: string, value: string) => void map.set(key, value),
      removeItem: (key: string) => void map.delete(key),
    }
  }

  it('starts from the stored position, stores each new one, and removes it after the terminal', async () => {
    const storage = memoryStorage({ 'crawl-7': 'e1:4:k3f9' })
    vi.stubGlobal('sessionStorage', storage)
    const stored: (string | undefined)[] = []
    const fetch = streamFetch(
      sseMessage({ ...progressEnvelope('e1', 5), tag: 'a1' }) +
        sseMessage({ ...progressEnvelope('e1', 6), tag: 'b2' }) +
        sseMessage(completeEnvelope('e1', 7)),
    )
    const subscription = subscribeProgress('http://x/stream', {
      fetch: fetch as unknown as typeof globalThis.fetch,
      resumeKey: 'crawl-7',
      onEvent: () => stored.push(storage.map.get('crawl-7')),
    })
    await subscription.done
    expect(new Headers(fetch.mock.calls[0]?.[1]?.headers).get('last-event-id')).toBe('e1:4:k3f9')
    expect(stored).toEqual(['e1:5:a1', 'e1:6:b2', undefined])
    expect(storage.map.has('crawl-7')).toBe(false)
  })

  it('prefers the lastEventId option over the stored position', async () => {
    vi.stubGlobal('sessionStorage', memoryStorage({ 'crawl-7': 'e1:4' }))
    const fetch = streamFetch(sseMessage(completeEnvelope('e1', 10)))
    await subscribeProgress('http://x/stream', {
      fetch: fetch as unknown as typeof globalThis.fetch,
      resumeKey: 'crawl-7',
      lastEventId: 'e1:9',
    }).done
    expect(new Headers(fetch.mock.calls[0]?.[1]?.headers).get('last-event-id')).toBe('e1:9')
  })

  it('works as without the option when storage throws on access or on use', async () => {
    const denied = () => {
      throw new DOMException('storage is disabled', 'SecurityError')
    }
    for (const install of [
      () =>
        vi.stubGlobal('sessionStorage', { getItem: denied, setItem: denied, removeItem: denied }),
      () =>
        Object.defineProperty(globalThis, 'sessionStorage', { get: denied, configurable: true }),
    ]) {
      install()
      try {
        const fetch = streamFetch(
          sseMessage(snapshotEnvelope('e1', 0)) + sseMessage(completeEnvelope('e1', 1)),
        )
        const delivered: number[] = []
        const subscription = subscribeProgress('http://x/stream', {
          fetch: fetch as unknown as typeof globalThis.fetch,
          resumeKey: 'crawl-7',
          onEvent: (envelope) => delivered.push(envelope.seq),
        })
        await expect(subscription.done).resolves.toMatchObject({ type: 'complete', seq: 1 })
        expect(delivered).toEqual([0, 1])
        expect(new Headers(fetch.mock.calls[0]?.[1]?.headers).has('last-event-id')).toBe(false)
      } finally {
        Reflect.deleteProperty(globalThis, 'sessionStorage')
      }
    }
  })
})
