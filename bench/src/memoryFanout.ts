import { performance } from 'node:perf_hooks'
import { MemoryProgressService } from '@docspasta/progress-core'

// Publish → deliver on the embedded backend: 1,000 crawls × 10 subscribers, 20 events each.
// Bounded by count; prints one JSON line to compare with baselines.json.
const crawls = 1_000
const subscribersPerCrawl = 10
const eventsPerCrawl = 20

const service = new MemoryProgressService({ historyLimit: 100 })
let delivered = 0
const heapBefore = process.memoryUsage().heapUsed
const started = performance.now()
for (let c = 0; c < crawls; c++) {
  const crawlId = `bench-${c}`
  await service.start(crawlId)
  for (let s = 0; s < subscribersPerCrawl; s++) {
    await service.subscribe(crawlId, () => {
      delivered += 1
    })
  }
}
for (let e = 0; e < eventsPerCrawl; e++) {
  for (let c = 0; c < crawls; c++) await service.increment(`bench-${c}`, { processed: 1 })
}
const elapsedMs = performance.now() - started
const heapDuringMiB = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20
await service.close()

const events = crawls * eventsPerCrawl
console.log(
  JSON.stringify({
    bench: 'memory-fanout',
    events,
    delivered,
    eventsPerSecond: Math.round(events / (elapsedMs / 1000)),
    deliveriesPerSecond: Math.round(delivered / (elapsedMs / 1000)),
    heapDuringMiB: Number(heapDuringMiB.toFixed(1)),
    diagnosticsAfterClose: service.diagnostics(),
  }),
)
