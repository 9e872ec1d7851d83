/** What the server and the workers read from the environment; both must agree on all of it. */
export interface ExampleConfig {
  /** REDIS_URL: the one Redis that holds the queue and the progress. */
  redisUrl: string
  /** PORT: where the server listens (0: any free port, printed at startup). */
  port: number
  /** QUEUE_PREFIX: BullMQ's key prefix (its own default is `bull`). */
  queuePrefix: string
  /** PROGRESS_PREFIX: RedisProgressService's key prefix. */
  progressPrefix: string
  /** STALE_AFTER_MS: a claimed crawl silent this long is failed as `stalled`. */
  staleAfterMs: number
  /** PAGE_PAUSE_MS: the simulated work per page, so that a crawl is watchable. */
  pagePauseMs: number
}

/** An environment variable the example cannot use; the entry points print it and exit. */
export class ConfigError extends Error {
  override name = 'ConfigError'
}

const DEFAULTS = {
  redisUrl: 'redis://127.0.0.1:6379',
  port: 3001,
  queuePrefix: 'bull',
  progressPrefix: 'docspasta:progress',
  // A demo value: a killed worker's crawl fails within seconds instead of the library's minute.
  staleAfterMs: 15_000,
  pagePauseMs: 250,
} as const

/** Reads the example's settings from `env`; throws ConfigError for a value it cannot use. */
export function readConfig(env: NodeJS.ProcessEnv = process.env): ExampleConfig {
  return {
    redisUrl: env.REDIS_URL || DEFAULTS.redisUrl,
    port: integer(env, 'PORT', DEFAULTS.port, 0, 65_535),
    queuePrefix: prefix(env, 'QUEUE_PREFIX', DEFAULTS.queuePrefix),
    progressPrefix: prefix(env, 'PROGRESS_PREFIX', DEFAULTS.progressPrefix),
    staleAfterMs: integer(env, 'STALE_AFTER_MS', DEFAULTS.staleAfterMs, 2_000, 3_600_000),
    pagePauseMs: integer(env, 'PAGE_PAUSE_MS', DEFAULTS.pagePauseMs, 0, 60_000),
  }
}

function integer(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const text = env[name]
  if (text === undefined || text === '') return fallback
  const value = Number(text)
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${text}"`)
  }
  return value
}

function prefix(env: NodeJS.ProcessEnv, name: string, fallback: string): string {
  const text = env[name]
  if (text === undefined || text === '') return fallback
  // Braces would change a key's Redis Cluster slot; spaces make keys hard to work with.
  if (!/^[A-Za-z0-9_.:-]{1,100}$/.test(text)) {
    throw new ConfigError(`${name} must be 1 to 100 of A-Z a-z 0-9 _ . : -, got "${text}"`)
  }
  return text
}
