import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { MIN_SERVER_RETRY_MS, subscribeProgress } from '../../src/index.js'

// Reconnect scheduling with an injected fetch and fake timers: when each attempt happens.
describe('reconnect timing (fake timers)', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  function failingFetch(answer: () => Response | Promise<never>) {
    const calls: number[] = []
    const fetch = vi.fn(async () => {
      calls.push(Date.now())
      return answer()
    }) as unknown as typeof globalThis.fetch
    return { fetch, calls }
  }

  it('backs off exponentially with full jitter up to the cap on network errors', async () => {
    const { fetch, calls } = failingFetch(() => Promise.reject(new TypeError('network down')))
    const subscription = subscribeProgress('http://x/stream', {
      fetch,
      random: () => 0.5,
      backoff: { initialMs: 100, maxMs: 1_000, factor: 2 },
    })
    await vi.advanceTimersByTimeAsync(10_000)
    subscription.close()
    const gaps = calls.slice(1).map((at, i) => at - (calls[i] as number))
    // Half of each ceiling: 100, 200, 400, 800, then capped at 1,000.
    expect(gaps.slice(0, 6)).toEqual([50, 100, 200, 400, 500, 500])
  })

  it('honours Retry-After on 503 and 429 even above the backoff', async () => {
    let n = 0
    const { fetch, calls } = failingFetch(() => {
      n += 1
      const status = n === 1 ? 503 : 429
      return new Response(null, { status, headers: { 'Retry-After': n === 1 ? '3' : '1' } })
    })
    const subscription = subscribeProgress('http://x/stream', {
      fetch,
      random: () => 0,
      backoff: { initialMs: 10, maxMs: 10 },
    })
    await vi.advanceTimersByTimeAsync(2_999)
    expect(calls).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(calls).toHaveLength(2)
    await vi.advanceTimersByTimeAsync(999)
    expect(calls).toHaveLength(2)
    await vi.advanceTimersByTimeAsync(1)
    expect(calls).toHaveLength(3)
    subscription.close()
  })

  it('tells onRetry the length of each wait before it begins, and the next attempt comes after it', async () => {
    let n = 0
    const { fetch, calls } = failingFetch(() => {
      n += 1
      return new Response(null, { status: 503, headers: n === 2 ? { 'Retry-After': '2' } : {} })
    })
    const waits: { delayMs: number; at: number; status: string; attempts: number }[] = []
    const subscription = subscribeProgress('http://x/stream', {
      fetch,
      random: () => 0.5,
      backoff: { initialMs: 100, maxMs: 1_000 },
      onRetry: (delayMs) => {
        waits.push({ delayMs, at: Date.now(), status: subscription.status, attempts: calls.length })
      },
    })
    await vi.advanceTimersByTimeAsync(2_200)
    subscription.close()
    // Backoff 50, then Retry-After 2 s over the backoff, then backoff 200: each announced as it
    // starts, while reconnecting, and the next attempt exactly that long after.
    expect(waits.slice(0, 3).map((w) => [w.delayMs, w.status, w.attempts])).toEqual([
      [50, 'reconnecting', 1],
      [2_000, 'reconnecting', 2],
      [200, 'reconnecting', 3],
    ])
    for (const [i, wait] of waits.slice(0, 2).entries()) {
      expect(calls[i + 1]).toBe(wait.at + wait.delayMs)
    }
  })

  it("uses the server's retry: as the backoff base", async () => {
    let n = 0
    const { fetch, calls } = failingFetch(() => {
      n += 1
      if (n === 1) {
        return new Response('retry: 4000\n\n', { headers: { 'Content-Type': 'text/event-stream' } })
      }
      return new Response(null, { status: 500 })
    })
    const subscription = subscribeProgress('http://x/stream', {
      fetch,
      random: () => 0.5,
      backoff: { initialMs: 10, maxMs: 60_000 },
    })
    await vi.advanceTimersByTimeAsync(1_999)
    expect(calls).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1)
    // 0.5 × 4,000 after the stream ended; then 0.5 × 8,000 after the 500.
    expect(calls).toHaveLength(2)
    await vi.advanceTimersByTimeAsync(4_000)
    expect(calls).toHaveLength(3)
    subscription.close()
  })

  it("floors the server's retry: at MIN_SERVER_RETRY_MS, so retry: 0 cannot turn the backoff off", async () => {
    const { fetch, calls } = failingFetch(() =>
      calls.length > 100
        ? // Without the floor the client would spin; this bound makes it fail instead of hang.
          new Promise<never>(() => undefined)
        : new Response('retry: 0\n\n', { headers: { 'Content-Type': 'text/event-stream' } }),
    )
    const subscription = subscribeProgress('http://x/stream', {
      fetch,
      random: () => 0.5,
      backoff: { initialMs: 10_000, maxMs: 60_000 },
    })
    await vi.advanceTimersByTimeAsync(2_000)
    subscription.close()
    expect(MIN_SERVER_RETRY_MS).toBe(500)
    // retry: 0 counts as 500 and replaces initialMs: waits of 0.5 × 500, × 1,000, × 2,000.
    expect(calls.map((at) => at - (calls[0] as number))).toEqual([0, 250, 750, 1_750])
  })

  it('resets the backoff after a connection that stayed healthy for stableAfterMs', async () => {
    let n = 0
    const { fetch, calls } = failingFetch(() => {
      n += 1
      if (n === 4) {
        // Healthy for 2 s (a heartbeat each second), then the server goes away.
        const body = new ReadableStream<Uint8Array>({
          async start(controller) {
            for (let i = 0; i < 2; i++) {
              await new Promise((resolve) => setTimeout(resolve, 1_000))
              controller.enqueue(new TextEncoder().encode(': ping\n\n'))
            }
            controller.close()
          },
        })
        return new Response(body, { headers: { 'Content-Type': 'text/event-stream' } })
      }
      return new Response(null, { status: 500 })
    })
    const subscription = subscribeProgress('http://x/stream', {
      fetch,
      random: () => 0.5,
      stableAfterMs: 1_500,
      backoff: { initialMs: 100, maxMs: 100_000 },
    })
    await vi.advanceTimersByTimeAsync(20_000)
    subscription.close()
    const gaps = calls.slice(1).map((at, i) => at - (calls[i] as number))
    // 50, 100, 200 after three 500s; the stable connection lasted 2,000 ms and reset the
    // attempt count, so the next wait is 50 again instead of 400.
    expect(gaps.slice(0, 4)).toEqual([50, 100, 200, 2_050])
  })

  it('stops at once when the caller aborts its signal', async () => {
    const { fetch, calls } = failingFetch(() => Promise.reject(new TypeError('network down')))
    const abort = new AbortController()
    const subscription = subscribeProgress('http://x/stream', { fetch, signal: abort.signal })
    await vi.advanceTimersByTimeAsync(1)
    abort.abort()
    await expect(subscription.done).rejects.toMatchObject({ name: 'AbortError' })
    await vi.advanceTimersByTimeAsync(60_000)
    expect(calls).toHaveLength(1)
    expect(subscription.status).toBe('closed')
    expect(vi.getTimerCount()).toBe(0)
  })

  it('aborts a silent connection after heartbeatTimeoutMs and reconnects', async () => {
    let n = 0
    const { fetch, calls } = failingFetch(() => {
      n += 1
      // A body that never sends a byte: a half-open connection.
      return new Response(new ReadableStream(), {
        headers: { 'Content-Type': 'text/event-stream' },
      })
    })
    const errors: string[] = []
    const subscription = subscribeProgress('http://x/stream', {
      fetch,
      heartbeatTimeoutMs: 5_000,
      random: () => 0,
      onError: (error) => errors.push(error.code),
    })
    await vi.advanceTimersByTimeAsync(4_999)
    expect(calls).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(20)
    expect(calls).toHaveLength(2)
    expect((calls[1] as number) - (calls[0] as number)).toBeGreaterThanOrEqual(5_000)
    expect(errors).toEqual(['connection'])
    expect(n).toBe(2)
    subscription.close()
    await expect(subscription.done).rejects.toMatchObject({ name: 'AbortError' })
    expect(vi.getTimerCount()).toBe(0)
  })
})

describe('options that would make a zero-delay loop', () => {
  it.each([
    ['backoff.initialMs 0', { backoff: { initialMs: 0 } }],
    ['backoff.initialMs NaN', { backoff: { initialMs: Number.NaN } }],
    ['backoff.maxMs 0', { backoff: { maxMs: 0 } }],
    ['backoff.factor 0.5', { backoff: { factor: 0.5 } }],
    ['backoff.factor -2', { backoff: { factor: -2 } }],
    ['heartbeatTimeoutMs 0', { heartbeatTimeoutMs: 0 }],
    ['heartbeatTimeoutMs -1', { heartbeatTimeoutMs: -1 }],
    ['stableAfterMs 0', { stableAfterMs: 0 }],
    ['stableAfterMs NaN', { stableAfterMs: Number.NaN }],
  ])('throws a RangeError for %s at call time, before any request', (_, options) => {
    const fetch = vi.fn(() => new Promise<never>(() => undefined))
    expect(() =>
      subscribeProgress('http://x/stream', {
        ...options,
        fetch: fetch as unknown as typeof globalThis.fetch,
      }),
    ).toThrow(RangeError)
    expect(fetch).not.toHaveBeenCalled()
  })

  it('accepts the smallest valid values', () => {
    const fetch = vi.fn(() => new Promise<never>(() => undefined))
    const subscription = subscribeProgress('http://x/stream', {
      fetch: fetch as unknown as typeof globalThis.fetch,
      backoff: { initialMs: 1, maxMs: 1, factor: 1 },
      heartbeatTimeoutMs: 1,
      stableAfterMs: 1,
    })
    subscription.close()
  })
})
