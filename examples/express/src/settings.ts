/** The demo's environment, read once at startup. */
export interface DemoSettings {
  /** 0: any free port. */
  port: number
  redisUrl: string | undefined
  prefix: string
  pauseMs: number
  staleAfterMs: number
}

/**
 * Reads PORT (default 3000), REDIS_URL, DEMO_PREFIX (default `docspasta:demo`), PAGE_PAUSE_MS
 * (default 150) and STALE_AFTER_MS (default 10,000); throws on a value that is not a whole number
 * in range, rather than run with NaN timers.
 */
export function readSettings(env: NodeJS.ProcessEnv): DemoSettings {
  return {
    port: wholeNumber(env, 'PORT', 3000, 0, 65_535),
    redisUrl: env.REDIS_URL || undefined,
    prefix: env.DEMO_PREFIX || 'docspasta:demo',
    pauseMs: wholeNumber(env, 'PAGE_PAUSE_MS', 150, 0, 60_000),
    staleAfterMs: wholeNumber(env, 'STALE_AFTER_MS', 10_000, 300, 3_600_000),
  }
}

function wholeNumber(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const text = env[name]
  if (text === undefined || text === '') return fallback
  const value = Number(text)
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be a whole number from ${min} to ${max}, not "${text}"`)
  }
  return value
}
