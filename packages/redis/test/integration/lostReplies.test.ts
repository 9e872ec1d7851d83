import type { ProgressEnvelope } from '@docspasta/progress-core'
import { EnvelopeRecorder } from '@docspasta/progress-testing'
import type { Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { RedisProgressService } from '../../src/index.js'
import { useOwnRedis } from '../support/ownRedis.js'
import { expectEverySeqOnce } from '../support/streamChecks.js'

// Replies lost in a disconnect: ioredis re-sends every command that was written but not answered
// (autoResendUnfulfilledCommands), and after a restart the re-sent EVALSHA falls back to EVAL.
// Each call carries one operation id for all its attempts, so a script that already ran answers
// with its original outcome and writes nothing. Each test runs on a redis-server of its own.
const redisServers = useOwnRedis()

interface LoadFigures {
  discoveries: number
  increments: number
  urls: string[]
}

/**
 * `workers` concurrent callers, each alternating a one-url discovery and an increment; after
 * every `faultEvery` resolved calls, `fault()` runs (the other workers go on meanwhile).
 */
async function publishUnderFaults(
  service: RedisProgressService,
  crawlId: string,
  options: { workers: number; perWorker: number; faultEvery: number; fault: () => Promise<void> },
): Promise<LoadFigures> {
  const figures: LoadFigures = { discoveries: 0, increments: 0, urls: [] }
  let resolved = 0
  let faults = Promise.resolve()
  await Promise.all(
    Array.from({ length: options.workers }, async (_, worker) => {
      for (let i = 0; i < options.perWorker; i++) {
        if (i % 2 === 0) {
          const url = `https://w${worker}.test/${i}`
          await service.publish(crawlId, { type: 'discovery', urls: [url] })
          figures.discoveries += 1
          figures.urls.push(url)
        } else {
          await service.increment(crawlId, { processed: 1 })
          figures.increments += 1
        }
        resolved += 1
        if (resolved % options.faultEvery === 0) {
          faults = faults.then(options.fault)
          await faults
        }
      }
    }),
  )
  return figures
}

/**
 * A publisher and a watcher on connections of their own, and a recorder subscribed from seq 0;
 * history holds every event, so any gap would be a loss.
 */
async function watchedCrawl(open: () => Redis, crawlId: string) {
  const options = { historyLimit: 100_000, onConnectionError: redisServers.onConnectionError }
  const publisher = new RedisProgressService({ redis: open(), ...options })
  const watcher = new RedisProgressService({ redis: open(), ...options })
  await publisher.start(crawlId)
  const recorder = new EnvelopeRecorder()
  await watcher.subscribe(crawlId, recorder.handler, recorder.options({ afterSeq: 0 }))
  return { publisher, watcher, recorder }
}

function storedUrlCounts(recorder: EnvelopeRecorder): Map<string, number> {
  const counts = new Map<string, number>()
  for (const envelope of recorder.envelopes) {
    if (envelope.type !== 'discovery') continue
    for (const url of envelope.urls) counts.set(url, (counts.get(url) ?? 0) + 1)
  }
  return counts
}

/**
 * After the terminal: the totals are exactly what resolved, every url was stored and delivered
 * once, every seq once and in order. Prints the figures for the record.
 */
async function expectAppliedOnce(
  label: string,
  faults: Record<string, number>,
  figures: LoadFigures,
  publisher: RedisProgressService,
  recorder: EnvelopeRecorder,
): Promise<void> {
  await recorder.waitForTerminal(30_000)
  const terminal = recorder.terminals[0] as ProgressEnvelope
  const urlCounts = storedUrlCounts(recorder)
  const duplicatedUrls = [...urlCounts].filter(([, count]) => count > 1)
  console.info(
    label,
    JSON.stringify({
      ...faults,
      discoveriesResolved: figures.discoveries,
      incrementsResolved: figures.increments,
      totals: terminal.totals,
      seq: terminal.seq,
      duplicatedUrls: duplicatedUrls.length,
    }),
  )
  expect(terminal.totals).toEqual({
    discovered: figures.discoveries,
    processed: figures.increments,
    failed: 0,
  })
  expect(duplicatedUrls).toEqual([])
  expect(urlCounts.size).toBe(figures.urls.length)
  expect(terminal.seq).toBe(figures.discoveries + figures.increments + 1)
  expectEverySeqOnce(recorder, terminal.seq)
  expect(recorder.errors).toEqual([])
  expect(await publisher.getSnapshot(terminal.crawlId)).toMatchObject({ seq: terminal.seq })
}

describe('lost replies (each test on its own redis-server)', () => {
  it('applies each publish once when 20 CLIENT KILL TYPE normal cut replies that ioredis re-sends (non-atomic progress)', async () => {
    const { open } = await redisServers.start()
    const admin = open()
    const crawlId = 'lost-replies'
    const { publisher, watcher, recorder } = await watchedCrawl(open, crawlId)

    let kills = 0
    const figures = await publishUnderFaults(publisher, crawlId, {
      workers: 8,
      perWorker: 1_250,
      faultEvery: 500,
      fault: async () => {
        kills += Number(await admin.client('KILL', 'TYPE', 'normal'))
      },
    })
    expect(await publisher.complete(crawlId, { calls: 10_000 })).toBe(true)
    await expectAppliedOnce('lost-reply figures', { kills }, figures, publisher, recorder)
    expect(kills).toBeGreaterThanOrEqual(20)
    await Promise.all([publisher.close(), watcher.close()])
  }, 120_000)

  it('applies each publish once across 8 restarts (appendonly yes) that lose replies', async () => {
    const { server, open } = await redisServers.start(['--appendonly', 'yes'])
    const crawlId = 'lost-replies-restart'
    const { publisher, watcher, recorder } = await watchedCrawl(open, crawlId)

    let restarts = 0
    const figures = await publishUnderFaults(publisher, crawlId, {
      workers: 8,
      perWorker: 500,
      faultEvery: 450,
      fault: async () => {
        await server.restart()
        restarts += 1
      },
    })
    expect(await publisher.complete(crawlId, {})).toBe(true)
    await expectAppliedOnce('restart figures', { restarts }, figures, publisher, recorder)
    expect(restarts).toBe(8)
    await Promise.all([publisher.close(), watcher.close()])
  }, 120_000)

  it('complete() returns true to the call that closed the crawl, also when its reply was lost', async () => {
    const { open } = await redisServers.start()
    const admin = open()
    const service = new RedisProgressService({
      redis: open(),
      onConnectionError: redisServers.onConnectionError,
    })
    const ids = Array.from({ length: 3_000 }, (_, i) => `solo-${i}`)
    for (const id of ids) await service.start(id)

    // One complete() per crawl, 8 at a time, with a kill after every 150.
    let next = 0
    let kills = 0
    const outcomes: boolean[] = []
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < ids.length) {
          const id = ids[next++] as string
          outcomes.push(await service.complete(id, {}))
          if (outcomes.length % 150 === 0)
            kills += Number(await admin.client('KILL', 'TYPE', 'normal'))
        }
      }),
    )
    const falseCount = outcomes.filter((closed) => !closed).length
    console.info(
      'complete-truth figures',
      JSON.stringify({ calls: outcomes.length, kills, falseCount }),
    )
    expect(kills).toBeGreaterThanOrEqual(19)
    expect(falseCount).toBe(0)
    await service.close()
  }, 120_000)

  it('gives exactly one of 5 racing completers true per crawl while replies are lost (completion race)', async () => {
    const { open } = await redisServers.start()
    const admin = open()
    const services = Array.from(
      { length: 5 },
      () =>
        new RedisProgressService({
          redis: open(),
          onConnectionError: redisServers.onConnectionError,
        }),
    )
    const ids = Array.from({ length: 1_000 }, (_, i) => `race-${i}`)
    for (const id of ids) await services[0]?.start(id)

    let kills = 0
    let done = 0
    const winners = new Map<string, number>()
    await Promise.all(
      services.map(async (service, worker) => {
        for (const id of ids) {
          const closed =
            worker % 2 === 0
              ? await service.complete(id, { worker })
              : await service.fail(id, {
                  code: 'race',
                  message: `worker ${worker}`,
                  retryable: false,
                })
          if (closed) winners.set(id, (winners.get(id) ?? 0) + 1)
          done += 1
          if (done % 250 === 0) kills += Number(await admin.client('KILL', 'TYPE', 'normal'))
        }
      }),
    )
    const noWinner = ids.filter((id) => !winners.has(id)).length
    const manyWinners = [...winners.values()].filter((count) => count > 1).length
    console.info(
      'racing-completers figures',
      JSON.stringify({ crawls: ids.length, kills, noWinner, manyWinners }),
    )
    expect(kills).toBeGreaterThanOrEqual(19)
    expect({ noWinner, manyWinners }).toEqual({ noWinner: 0, manyWinners: 0 })
    await Promise.all(services.map((service) => service.close()))
  }, 120_000)
})
