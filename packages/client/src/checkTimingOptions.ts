import type { BackoffOptions } from './backoff.js'

/**
 * Throws a RangeError for a timing option that would make the client spin (a zero or NaN delay
 * or ceiling, a shrinking backoff) or tear down every connection at once.
 */
export function checkTimingOptions(
  backoff: Required<BackoffOptions>,
  heartbeatTimeoutMs: number,
  stableAfterMs: number,
): void {
  const check = (valid: boolean, rule: string, value: number) => {
    if (!valid) throw new RangeError(`@docspasta/progress-client: ${rule}, got ${value}`)
  }
  check(backoff.initialMs >= 1, 'backoff.initialMs must be at least 1', backoff.initialMs)
  check(backoff.maxMs >= 1, 'backoff.maxMs must be at least 1', backoff.maxMs)
  check(backoff.factor >= 1, 'backoff.factor must be at least 1', backoff.factor)
  check(heartbeatTimeoutMs > 0, 'heartbeatTimeoutMs must be positive', heartbeatTimeoutMs)
  check(stableAfterMs > 0, 'stableAfterMs must be positive', stableAfterMs)
}
