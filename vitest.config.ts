import { defaultClientConditions, defaultServerConditions } from 'vite'
import { defineConfig } from 'vitest/config'

const redisTests = 'packages/redis/test/**/*.test.ts'

// Tests run on the sources: the `docspasta-source` export condition resolves workspace packages to
// src/. Vite's defaults follow it, and nothing else: Vitest hands the server conditions to Node as
// `--conditions`, where `import` would make require() of a dual package return its ESM namespace
// (Express 5's router requires is-promise that way).
export default defineConfig({
  resolve: { conditions: ['docspasta-source', ...defaultClientConditions] },
  ssr: { resolve: { conditions: ['docspasta-source', ...defaultServerConditions] } },
  test: {
    // REDIS_URL, else a redis-server of the run's own; fails with a message when neither exists.
    globalSetup: ['packages/redis/test/support/globalRedis.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'all',
          include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
          env: { EXPECTED_IOREDIS_MAJOR: '5' },
        },
      },
      {
        // The Redis suite once more on ioredis 6, the other major the peer range allows. The
        // service only takes the caller's connection, so the tests' own import decides.
        extends: true,
        resolve: { alias: { ioredis: 'ioredis6' } },
        test: {
          name: 'redis-ioredis6',
          include: [redisTests],
          env: { EXPECTED_IOREDIS_MAJOR: '6' },
        },
      },
    ],
  },
})
