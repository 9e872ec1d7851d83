import { PROGRESS_LIMITS } from '@docspasta/progress-protocol'
import { z } from 'zod'
import { ProgressValidationError } from './errors.js'

/** Options every ProgressService backend accepts. */
export interface ProgressServiceOptions {
  /** Envelopes kept per crawl for replay; older resume points get a snapshot. Default 1,000. */
  historyLimit?: number
  /**
   * Bytes of envelope JSON kept per crawl for replay, whatever their number: the oldest go first
   * past it. Default 4 MiB; at least `PROGRESS_LIMITS.batchMaxBytes` (1 MiB), so the envelopes
   * of the latest call always fit.
   */
  historyMaxBytes?: number
  /** Seconds a crawl's state lives after its terminal event. Default 3,600 (one hour). */
  ttlSeconds?: number
  /** Seconds a running crawl lives without any event before it is reclaimed. Default 86,400. */
  idleTtlSeconds?: number
  /**
   * A running crawl with no publish and no heartbeat for this long is failed with code
   * `stalled` (retryable) by the stall check: every `min(staleAfterMs / 4, 15 s)` for the crawls
   * this instance has subscribers for, and by sweepStalled(). Default 60,000 (a reporter beats
   * every 10 s); 0 turns stall detection off. Use the same value in every process.
   */
  staleAfterMs?: number
}

export const DEFAULT_SERVICE_OPTIONS: Readonly<Required<ProgressServiceOptions>> = {
  historyLimit: 1_000,
  historyMaxBytes: 4 * 1024 * 1024,
  ttlSeconds: 3_600,
  idleTtlSeconds: 86_400,
  staleAfterMs: 60_000,
}

const boundedInt = (min: number, max: number) => z.int().min(min).max(max).optional()
const positiveInt = (max: number) => boundedInt(1, max)

const serviceOptionsSchema = z.object({
  historyLimit: positiveInt(1_000_000),
  historyMaxBytes: boundedInt(PROGRESS_LIMITS.batchMaxBytes, 256 * 1024 * 1024),
  // Redis EXPIRE and setTimeout both take these comfortably.
  ttlSeconds: positiveInt(365 * 86_400),
  idleTtlSeconds: positiveInt(365 * 86_400),
  staleAfterMs: boundedInt(0, 7 * 86_400_000),
})

/** Validates service options and fills in the defaults; throws ProgressValidationError. */
export function resolveServiceOptions(
  options: ProgressServiceOptions = {},
): Required<ProgressServiceOptions> {
  const result = serviceOptionsSchema.safeParse(options)
  if (!result.success) {
    throw new ProgressValidationError(
      result.error.issues.map((issue) => ({
        path: ['options', ...issue.path.map(String)].join('.'),
        message: issue.message,
      })),
    )
  }
  const defined = Object.fromEntries(
    Object.entries(result.data).filter(([, value]) => value !== undefined),
  )
  return { ...DEFAULT_SERVICE_OPTIONS, ...defined }
}
