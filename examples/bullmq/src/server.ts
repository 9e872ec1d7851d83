// The server process: the page, `POST /api/crawls` (which queues a BullMQ job) and the SSE
// streams of the crawls' progress. main.ts starts it; the README shows how to start it alone.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createProgressStreamServer } from '@docspasta/progress-core'
import { Queue } from 'bullmq'
import { CRAWL_QUEUE, type CrawlJobData, crawlJobOptions } from './crawlQueue.js'
import { createApp } from './createApp.js'
import { bundlePageScript } from './pageScript.js'
import { exitWithError, onShutdownSignal, readConfigOrExit } from './processLifecycle.js'
import { connectProgress } from './progressService.js'

const label = `server ${process.pid}`
const config = readConfigOrExit(label)
const onError = (error: unknown) => console.error(`${label}:`, error)

let pageScript: string
try {
  pageScript = await bundlePageScript()
} catch (error) {
  exitWithError(label, error)
}

const { progress, close: closeProgress } = connectProgress(config, label)
const queue = new Queue<CrawlJobData>(CRAWL_QUEUE, {
  connection: { url: config.redisUrl },
  prefix: config.queuePrefix,
})
queue.on('error', (error) => console.error(`${label}: queue: ${error.message}`))

// A reconnecting page waits the server's `retry:` at first: a second, for the demo's restarts.
const streams = createProgressStreamServer({ service: progress, retryMs: 1_000, onError })
const app = createApp({
  progress,
  streams,
  enqueue: async (job) => {
    await queue.add('crawl', job, crawlJobOptions(job.crawlId))
  },
  pageScript,
  onError,
})
const server = createServer(app)

// The crawls someone watches are checked by the service itself; this finds the others whose
// workers died (a page closed, a server restarted), so that none stays `running` until its TTL.
const sweep = setInterval(() => {
  progress.sweepStalled().catch(onError)
}, config.staleAfterMs)

onShutdownSignal(label, async () => {
  clearInterval(sweep)
  // Streams end first, properly: their pages reconnect and resume (here, once it is back).
  streams.close()
  server.closeAllConnections()
  await new Promise<void>((resolve, reject) =>
    server.close((error) => (error ? reject(error) : resolve())),
  )
  await queue.close()
  await closeProgress()
})

server.once('error', (error) =>
  exitWithError(label, `cannot listen on port ${config.port}: ${error.message}`),
)
server.listen(config.port, () => {
  const { port } = server.address() as AddressInfo
  console.log(`${label}: listening on http://localhost:${port}`)
})
