import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { type ProgressClientError, subscribeProgress } from '../../src/index.js'

// The url is resolved once, before the first request: an unusable one can never succeed, so it
// must end the subscription at once instead of being retried forever.
describe('the stream url', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
    vi.unstubAllGlobals()
  })

  function recordingFetch() {
    return vi.fn(
      async (_url: string | URL | Request) =>
        new Response('retry: 1000\n\n', { headers: { 'Content-Type': 'text/event-stream' } }),
    )
  }

  it.each([
    ['a relative path without baseUrl or location (Node)', '/api/crawl-v2/c1/stream'],
    ['a scheme other than http and https', 'ftp://files.example/stream'],
    ['a javascript: url', 'javascript:void(0)'],
    ['text that is no url at all', 'http://[not-a-host'],
  ])('is fatal at once for %s: no request, done rejects, one error, closed', async (_, url) => {
    const fetch = recordingFetch()
    const errors: ProgressClientError[] = []
    const statuses: string[] = []
    const subscription = subscribeProgress(url, {
      fetch: fetch as unknown as typeof globalThis.fetch,
      backoff: { initialMs: 1, maxMs: 1 },
      onError: (error) => errors.push(error),
      onStatus: (status) => statuses.push(status),
    })
    await vi.advanceTimersByTimeAsync(5_000)
    expect(fetch).not.toHaveBeenCalled()
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ code: 'invalid-url', fatal: true })
    expect(subscription.status).toBe('closed')
    expect(statuses.at(-1)).toBe('closed')
    await expect(subscription.done).rejects.toMatchObject({ code: 'invalid-url' })
  })

  it('resolves a relative url against baseUrl, a string or a URL', async () => {
    for (const baseUrl of ['https://api.example/app/', new URL('https://api.example/app/')]) {
      const fetch = recordingFetch()
      const subscription = subscribeProgress('crawl-v2/c1/stream', {
        fetch: fetch as unknown as typeof globalThis.fetch,
        baseUrl,
      })
      await vi.advanceTimersByTimeAsync(0)
      subscription.close()
      expect(String(fetch.mock.calls[0]?.[0])).toBe('https://api.example/app/crawl-v2/c1/stream')
    }
  })

  it('reports a fatal error only after the handle is returned, and ends even if onError throws', async () => {
    const rethrown: (() => void)[] = []
    const spy = vi.spyOn(globalThis, 'queueMicrotask').mockImplementation((task) => {
      rethrown.push(task)
    })
    try {
      // The app closes the handle it got from onError: it must exist by then.
      const reported: string[] = []
      const closing = subscribeProgress('/relative', {
        onError: (error) => {
          reported.push(error.code)
          closing.close()
        },
      })
      await expect(closing.done).rejects.toMatchObject({ name: 'AbortError' })
      expect(reported).toEqual(['invalid-url'])
      expect(rethrown).toEqual([])
      const throwing = subscribeProgress('/relative', {
        onError: () => {
          throw new Error('app bug')
        },
      })
      await expect(throwing.done).rejects.toMatchObject({ code: 'invalid-url' })
      expect(throwing.status).toBe('closed')
      // The app's exception is rethrown, not swallowed.
      expect(() => {
        for (const task of rethrown) task()
      }).toThrow('app bug')
    } finally {
      spy.mockRestore()
    }
  })

  it('keeps the default of a backoff option given as undefined', async () => {
    const fetch = recordingFetch()
    const subscription = subscribeProgress('http://x/stream', {
      fetch: fetch as unknown as typeof globalThis.fetch,
      backoff: { initialMs: undefined, maxMs: undefined, factor: undefined },
    })
    await vi.advanceTimersByTimeAsync(0)
    subscription.close()
    expect(fetch).toHaveBeenCalledTimes(1)
  })

  it("resolves against the page's location when there is no baseUrl (browsers)", async () => {
    vi.stubGlobal('location', { href: 'https://app.example/crawls/42?tab=progress' })
    const fetch = recordingFetch()
    const subscription = subscribeProgress('/api/crawl-v2/c1/stream', {
      fetch: fetch as unknown as typeof globalThis.fetch,
    })
    await vi.advanceTimersByTimeAsync(0)
    subscription.close()
    expect(String(fetch.mock.calls[0]?.[0])).toBe('https://app.example/api/crawl-v2/c1/stream')
  })

  it("resolves against the document's base URL, as fetch does in a page with <base href>", async () => {
    vi.stubGlobal('location', { href: 'https://app.example/crawls/42' })
    vi.stubGlobal('document', {
      baseURI: 'https://app.example/tenant-7/',
      removeEventListener: () => {},
    })
    const fetch = recordingFetch()
    const subscription = subscribeProgress('api/crawl-v2/c1/stream', {
      fetch: fetch as unknown as typeof globalThis.fetch,
    })
    await vi.advanceTimersByTimeAsync(0)
    subscription.close()
    expect(String(fetch.mock.calls[0]?.[0])).toBe(
      'https://app.example/tenant-7/api/crawl-v2/c1/stream',
    )
  })

  it('prefers baseUrl over the location, and leaves an absolute url as it is', async () => {
    vi.stubGlobal('location', { href: 'https://app.example/' })
    const fetch = recordingFetch()
    const options = { fetch: fetch as unknown as typeof globalThis.fetch, baseUrl: 'http://b/' }
    const subscriptions = [
      subscribeProgress('/stream', options),
      subscribeProgress('https://elsewhere.example/stream', options),
    ]
    await vi.advanceTimersByTimeAsync(0)
    for (const subscription of subscriptions) subscription.close()
    expect(fetch.mock.calls.map((call) => String(call[0]))).toEqual([
      'http://b/stream',
      'https://elsewhere.example/stream',
    ])
  })
})
