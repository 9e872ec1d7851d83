import { defaultClientConditions, defaultServerConditions } from 'vite'
import { defineConfig } from 'vitest/config'

// Tests run on the sources: the `docspasta-source` export condition resolves workspace packages to
// src/. Vite's defaults follow it, and nothing else: Vitest hands the server conditions to Node as
// `--conditions`, where `import` would make require() of a dual package return its ESM namespace
// (Express 5's router requires is-promise that way).
export default defineConfig({
  resolve: { conditions: ['docspasta-source', ...defaultClientConditions] },
  ssr: { resolve: { conditions: ['docspasta-source', ...defaultServerConditions] } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    // REDIS_URL, else a redis-server of the run's own; fails with a message when neither exists.
    globalSetup: ['packages/redis/test/support/globalRedis.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
})
