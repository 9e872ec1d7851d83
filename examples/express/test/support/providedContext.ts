// The root vitest config's global setup provides the Redis that tests share.
declare module 'vitest' {
  export interface ProvidedContext {
    /** REDIS_URL, or a redis-server started for the run. */
    redisUrl: string
  }
}

export {}
