import { defineConfig } from 'vitest/config'

// Tests run on the sources: the `docspasta-source` export condition resolves workspace packages to src/.
const conditions = ['docspasta-source', 'import', 'module', 'node', 'default']

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    // REDIS_URL, else a redis-server of the run's own; fails with a message when neither exists.
    globalSetup: ['packages/redis/test/support/globalRedis.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
})
