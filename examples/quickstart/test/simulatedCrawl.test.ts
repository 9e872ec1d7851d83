import { MemoryProgressService } from '@docspasta/progress-core'
import { EnvelopeRecorder } from '@docspasta/progress-testing'
import { expect, it } from 'vitest'
import { runSimulatedCrawl } from '../src/simulatedCrawl.js'

it('streams the whole simulated crawl in order, ending with exactly one complete envelope', async () => {
  const service = new MemoryProgressService()
  const recorder = new EnvelopeRecorder()
  await service.start('quickstart-test')
  await service.subscribe('quickstart-test', recorder.handler, recorder.options())
  const winners = await runSimulatedCrawl({
    service,
    crawlId: 'quickstart-test',
    pages: 40,
    workers: 4,
  })
  expect(winners).toBe(1)
  const seqs = recorder.seqs
  expect(seqs).toEqual(seqs.map((_, i) => i + 1))
  expect(recorder.terminals).toHaveLength(1)
  expect(recorder.terminals[0]?.totals).toEqual({ discovered: 40, processed: 35, failed: 5 })
  await service.close()
  expect(service.diagnostics()).toEqual({ crawls: 0, subscriptions: 0, timers: 0 })
})
