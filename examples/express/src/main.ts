import { createServer } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { MemoryProgressService, type ProgressService } from '@docspasta/progress-core'
import { RedisProgressService } from '@docspasta/progress-redis'
import { Redis } from 'ioredis'
import { createApp } from './createApp.js'

// PORT (default 3000); REDIS_URL switches from the in-process service to Redis.
const port = Number(process.env.PORT ?? 3000)
const redisUrl = process.env.REDIS_URL
const redis = redisUrl ? new Redis(redisUrl) : undefined
redis?.on('error', (error) => console.error('redis:', error.message))
const service: ProgressService = redis
  ? new RedisProgressService({ redis })
  : new MemoryProgressService()

const example = createApp({ service, crawl: { pages: 120, workers: 4, pause: () => sleep(150) } })
const server = createServer(example.app)
server.once('error', (error) => {
  console.error(`cannot listen on port ${port}: ${error.message}`)
  process.exit(1)
})
server.listen(port, () => {
  // Not the URL itself: it may hold a password.
  const backend = redis ? 'Redis from REDIS_URL' : 'the in-memory service'
  console.log(`Docspasta progress example on http://localhost:${port} (${backend})`)
})

let stopping = false
const stop = async (signal: string) => {
  if (stopping) return
  stopping = true
  console.log(`${signal}: shutting down`)
  // Crawls end with an error envelope and streams close before the service goes away.
  await example.close()
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  await service.close()
  await redis?.quit()
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
