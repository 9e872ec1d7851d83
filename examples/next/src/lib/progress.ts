import { createProgressBackend, type ProgressBackend } from './progressBackend'
import { readSettings } from './settings'

// Next.js forces a process-wide singleton here. It bundles this module into each route that
// imports it and may load a route's bundle more than once, so a module-level `const` could be
// one service per copy: a crawl that POST /api/crawls started in memory would then be unknown to
// the stream route (404), and each copy would open its own Redis connections. Every copy finds
// the one instance under a registry symbol on globalThis.
const BACKEND: unique symbol = Symbol.for('@docspasta/example-next/progress-backend')
type BackendHolder = { [BACKEND]?: ProgressBackend }

/**
 * The process's progress backend, made on first use (not at import: `next build` imports the
 * routes and must not connect to Redis).
 */
export function progressBackend(): ProgressBackend {
  const holder = globalThis as BackendHolder
  let backend = holder[BACKEND]
  if (backend === undefined) {
    backend = createProgressBackend(readSettings())
    holder[BACKEND] = backend
    console.log(
      backend.mode === 'redis'
        ? 'progress: Redis from REDIS_URL; crawls run in the worker (pnpm worker)'
        : 'progress: in memory; crawls run in this process',
    )
  }
  return backend
}
