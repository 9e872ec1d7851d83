// A worker process: one BullMQ Worker that runs crawl jobs and reports their progress.
// main.ts starts two; the README shows how to start one more.
import { createCrawlWorker } from './crawlWorker.js'
import { exitWithError, onShutdownSignal, readConfigOrExit } from './processLifecycle.js'
import { connectProgress } from './progressService.js'

const label = `worker ${process.pid}`
const config = readConfigOrExit(label)
const { progress, close: closeProgress } = connectProgress(config, label)
const worker = createCrawlWorker({
  config,
  progress,
  log: (line) => console.log(`${label}: ${line}`),
})
// BullMQ reports connection problems here; an 'error' event without a listener would crash.
worker.on('error', (error) => console.error(`${label}: ${error.message}`))

onShutdownSignal(label, async () => {
  // Waits for the jobs in progress to end, so that no crawl is left for the stall check.
  await worker.close()
  await closeProgress()
})

try {
  await worker.waitUntilReady()
} catch (error) {
  exitWithError(label, error)
}
console.log(`${label}: ready (kill -9 ${process.pid} and its crawl moves to another worker)`)
