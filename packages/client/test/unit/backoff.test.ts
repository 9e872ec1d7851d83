import { describe, expect, it } from 'vitest'
import { backoffDelay, DEFAULT_BACKOFF, parseRetryAfter } from '../../src/backoff.js'

describe('backoffDelay (full jitter)', () => {
  it('stays within [0, min(maxMs, initialMs × factor^attempt))', () => {
    const options = { initialMs: 100, maxMs: 5_000, factor: 2 }
    for (let attempt = 0; attempt < 12; attempt++) {
      const ceiling = Math.min(5_000, 100 * 2 ** attempt)
      expect(backoffDelay(attempt, options, () => 0)).toBe(0)
      expect(backoffDelay(attempt, options, () => 0.999_999)).toBe(ceiling - 1)
    }
  })

  it('spreads uniformly over the window instead of clustering', () => {
    const samples = Array.from({ length: 2_000 }, (_, i) =>
      backoffDelay(4, DEFAULT_BACKOFF, () => ((i * 7919) % 2_000) / 2_000),
    )
    const ceiling = 500 * 2 ** 4
    const buckets = [0, 0, 0, 0]
    for (const delay of samples) {
      const bucket = Math.floor((delay / ceiling) * 4)
      buckets[bucket] = (buckets[bucket] ?? 0) + 1
    }
    for (const count of buckets) expect(count).toBe(500)
  })

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('7')).toBe(7_000)
    expect(parseRetryAfter(new Date(1_000_000 + 3_000).toUTCString(), 1_000_000)).toBe(3_000)
    expect(parseRetryAfter('soon')).toBeUndefined()
    expect(parseRetryAfter(null)).toBeUndefined()
  })
})
