import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { MemoryProgressService, type ProgressService } from '@docspasta/progress-core'
import { RedisProgressService } from '@docspasta/progress-redis'
import { Redis } from 'ioredis'
import { bundleBrowserApp } from './bundleBrowserApp.js'
import { type CrawlJobTable, MemoryCrawlJobTable } from './crawlJobTable.js'
import { createApp } from './createApp.js'
import { RedisCrawlJobTable } from './redisCrawlJobTable.js'
import { type DemoSettings, readSettings } from './settings.js'

// REDIS_URL switches from one process's memory to Redis, where every demo server on the same
// Redis (and DEMO_PREFIX) shares crawls: any of them streams any crawl, and takes over the crawls
// of a server that died. The other settings: src/settings.ts and the README.
let settings: DemoSettings
try {
  settings = readSettings(process.env)
} catch (error) {
  console.error((error as Error).message)
  process.exit(1)
}
const { port, redisUrl, prefix, pauseMs, staleAfterMs } = settings

const redis = redisUrl ? new Redis(redisUrl) : undefined
redis?.on('error', (error) => console.error('redis:', error.message))
const service: ProgressService = redis
  ? new RedisProgressService({ redis, prefix: `${prefix}:progress`, staleAfterMs })
  : new MemoryProgressService({ staleAfterMs })
const jobs: CrawlJobTable = redis
  ? new RedisCrawlJobTable(redis, prefix)
  : new MemoryCrawlJobTable()

const demo = createApp({
  service,
  jobs,
  browserApp: await bundleBrowserApp(),
  workers: {
    pause: () => sleep(pauseMs),
    // A dead worker's lease lapses well before the stall check would fail its crawl, so that
    // another worker takes it over first; heartbeats keep a live one from looking stalled.
    leaseMs: Math.min(3_000, staleAfterMs / 3),
    heartbeatIntervalMs: Math.min(2_000, staleAfterMs / 4),
  },
  handOverOnClose: redis !== undefined,
})
const server = createServer(demo.app)
server.once('error', (error) => {
  console.error(`cannot listen on port ${port}: ${error.message}`)
  process.exit(1)
})
server.listen(port, () => {
  const { port: listening } = server.address() as AddressInfo
  // Not the URL itself: it may hold a password.
  const backend = redis ? 'Redis from REDIS_URL' : 'the in-memory service'
  console.log(
    `Docspasta progress demo on http://localhost:${listening} (${backend}, pid ${process.pid})`,
  )
})

let stopping = false
const stop = async (signal: string) => {
  if (stopping) return
  stopping = true
  console.log(`${signal}: shutting down`)
  // No new connections; open ones end as their streams do.
  const closed = new Promise<void>((resolve) => server.close(() => resolve()))
  // Crawls are handed over (Redis) or failed with a terminal (memory), then streams end cleanly:
  // each response gets its last chunk, none is cut mid-way.
  await demo.close()
  server.closeIdleConnections()
  await closed
  await service.close()
  await redis?.quit()
  console.log('stopped')
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    // No process.exit() on success: a handle left open would show as a hang, not hide.
    stop(signal).catch((error: unknown) => {
      console.error(error)
      process.exitCode = 1
    })
  })
}
