export interface BackoffOptions {
  /**
   * The first ceiling, in ms (≥ 1); the server's `retry:` replaces it once received, but never
   * with less than MIN_SERVER_RETRY_MS. Default 500.
   */
  initialMs?: number
  /** The largest ceiling, in ms (≥ 1). Default 30,000. */
  maxMs?: number
  /** Growth of the ceiling per failed attempt (≥ 1). Default 2. */
  factor?: number
}

/**
 * The least a server's `retry:` field can set the backoff's first ceiling to, in ms: `retry: 0`
 * (from a misconfigured server or proxy) would otherwise turn the backoff off.
 */
export const MIN_SERVER_RETRY_MS = 500

export const DEFAULT_BACKOFF: Readonly<Required<BackoffOptions>> = {
  initialMs: 500,
  maxMs: 30_000,
  factor: 2,
}

/**
 * Exponential backoff with full jitter: a uniform delay in [0, min(maxMs, initialMs × factor^attempt)).
 * Pure: `random` is injected, so bounds and spread are testable without timers.
 */
export function backoffDelay(
  attempt: number,
  options: Required<BackoffOptions>,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(options.maxMs, options.initialMs * options.factor ** attempt)
  return Math.floor(random() * ceiling)
}

/** Retry-After as ms: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined
  if (/^\d+$/.test(value.trim())) return Number(value) * 1000
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}
