/** How this example runs, from the environment of the Next server and of the worker alike. */
export interface ExampleSettings {
  /** Redis for progress and the BullMQ queue; without it crawls run in the Next process. */
  redisUrl: string | null
  /** Key prefix of the progress store (RedisProgressService's `prefix`). */
  progressPrefix: string | undefined
  /** Key prefix of the BullMQ queue (BullMQ's `prefix`, default `bull`). */
  queuePrefix: string | undefined
  /** The time each simulated page takes. */
  pageDelayMs: number
}

/** The BullMQ queue the Next server adds crawls to and the worker takes them from. */
export const CRAWL_QUEUE = 'crawls'

const DEFAULT_PAGE_DELAY_MS = 150

/**
 * Reads REDIS_URL, PROGRESS_PREFIX, BULLMQ_PREFIX and CRAWL_PAGE_DELAY_MS. Throws at once for a
 * value that cannot work, naming the variable, rather than failing on the first crawl.
 */
export function readSettings(env: NodeJS.ProcessEnv = process.env): ExampleSettings {
  const delayText = env.CRAWL_PAGE_DELAY_MS
  const pageDelayMs = delayText ? Number(delayText) : DEFAULT_PAGE_DELAY_MS
  if (!Number.isInteger(pageDelayMs) || pageDelayMs < 0) {
    throw new RangeError(
      `CRAWL_PAGE_DELAY_MS must be a whole number of milliseconds, not "${delayText}"`,
    )
  }
  return {
    redisUrl: env.REDIS_URL || null,
    progressPrefix: env.PROGRESS_PREFIX || undefined,
    queuePrefix: env.BULLMQ_PREFIX || undefined,
    pageDelayMs,
  }
}
