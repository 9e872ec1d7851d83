// The Redis the test run shares, provided by the root vitest config's global setup
// (packages/redis/test/support/globalRedis.ts).
declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string
  }
}

export {}
