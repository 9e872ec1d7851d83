import { setTimeout as sleep } from 'node:timers/promises'
import { MemoryProgressService } from '@docspasta/progress-core'
import { formatEnvelope } from './formatEnvelope.js'
import { runSimulatedCrawl } from './simulatedCrawl.js'

// A simulated crawl on the embedded MemoryProgressService, its envelopes printed as they arrive.
const service = new MemoryProgressService()
const crawlId = `quickstart-${Date.now()}`
await service.start(crawlId)
const subscription = await service.subscribe(crawlId, (envelope) => {
  console.log(formatEnvelope(envelope))
})
const winners = await runSimulatedCrawl({
  service,
  crawlId,
  pages: 40,
  workers: 4,
  pause: () => sleep(25),
})
console.log(
  `4 workers called complete(), ${winners} won; subscription closed: ${subscription.closed}`,
)
await service.close()
