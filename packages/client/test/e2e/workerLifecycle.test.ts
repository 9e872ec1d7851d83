import { MemoryProgressService, runCrawlJob } from '@docspasta/progress-core'
import { type ProgressHttpHarness, startProgressHttpServer } from '@docspasta/progress-testing'
import { afterEach, describe, expect, it } from 'vitest'
import {
  initialProgressState,
  type ProgressClientError,
  type ProgressState,
  reduceProgress,
  subscribeProgress,
} from '../../src/index.js'

// The real client against the real stream server: what a browser tab sees of the worker side.
const open: { service: MemoryProgressService; harness: ProgressHttpHarness }[] = []
afterEach(async () => {
  for (const { service, harness } of open.splice(0)) {
    await harness.close()
    await service.close()
  }
})

async function serve(staleAfterMs?: number) {
  const service = new MemoryProgressService(staleAfterMs === undefined ? {} : { staleAfterMs })
  const harness = await startProgressHttpServer(service, {})
  open.push({ service, harness })
  return { service, harness }
}

function follow(url: string) {
  let state: ProgressState = initialProgressState
  let connected = () => {}
  /** Resolves with the first envelope (the page's snapshot). */
  const opened = new Promise<void>((resolve) => {
    connected = resolve
  })
  const errors: ProgressClientError[] = []
  const subscription = subscribeProgress(url, {
    onEvent: (envelope) => {
      state = reduceProgress(state, envelope)
      connected()
    },
    onError: (error) => errors.push(error),
  })
  return { subscription, errors, opened, state: () => state }
}

describe('the client across the worker lifecycle (Node, real HTTP)', () => {
  it('a retried job: the page resyncs to the restarted crawl and ends exact, without an error', async () => {
    const { service, harness } = await serve()
    const crawlId = 'retried'
    const urls = ['https://a.test/1', 'https://a.test/2', 'https://a.test/3']
    await service.start(crawlId)
    const page = follow(harness.url(crawlId))
    await page.opened

    const job = (failAt: number | undefined, attempt: number) =>
      runCrawlJob(
        service,
        crawlId,
        async ({ reporter }) => {
          reporter.phase('crawling')
          reporter.discovered(urls)
          for (const [index, url] of urls.entries()) {
            if (index === failAt) throw new Error('timeout')
            reporter.processed(1, { url, outcome: 'processed' })
            await reporter.flush()
          }
          return { pages: urls.length }
        },
        { attempt, attempts: 2 },
      )
    expect((await job(2, 1)).outcome).toBe('retry')
    expect((await job(undefined, 2)).outcome).toBe('completed')

    await expect(page.subscription.done).resolves.toMatchObject({ type: 'complete' })
    expect(page.errors).toEqual([])
    const state = page.state()
    expect(state).toMatchObject({
      status: 'completed',
      totals: { discovered: 3, processed: 3, failed: 0 },
      phase: 'crawling',
      stats: { pages: 3 },
    })
    expect(state.epoch).toBe((await service.getSnapshot(crawlId))?.epoch)
    expect(state.recent.map((entry) => entry.url)).toEqual(urls)
  })

  it('a dead worker: the page shows the crawl failed with `stalled`, and stops (lost errors)', async () => {
    const { service, harness } = await serve(300)
    const crawlId = 'dead'
    await service.start(crawlId)
    await service.increment(crawlId, { processed: 2 })
    const page = follow(harness.url(crawlId))
    await expect(page.subscription.done).resolves.toMatchObject({
      type: 'error',
      error: { code: 'stalled', retryable: true },
    })
    expect(page.state()).toMatchObject({ status: 'failed', totals: { processed: 2 } })
    expect(page.errors).toEqual([])
  })
})
