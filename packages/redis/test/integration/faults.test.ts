import { EnvelopeRecorder } from '@docspasta/progress-testing'
import { describe, expect, it } from 'vitest'
import { createKeyBuilder, RedisProgressService } from '../../src/index.js'
import { useOwnRedis } from '../support/ownRedis.js'
import { waitForRedisSubscribers } from '../support/pubsubChecks.js'
import { expectEverySeqOnce } from '../support/streamChecks.js'

// Reconnect errors are expected here (the server goes away on purpose); kept, not discarded.
const redisServers = useOwnRedis()
const { onConnectionError } = redisServers

// History holds every event of these tests: what an outage may cost is then never a resync
// (ioredis 6 waits 50 to 250 ms before a reconnect, ioredis 5 50 ms), so any gap is a loss.
const historyLimit = 10_000

/** Subscribers on two services, so two pub/sub connections are exposed to the fault. */
async function subscribeAll(services: RedisProgressService[], crawlId: string) {
  const recorders: EnvelopeRecorder[] = []
  for (const service of services) {
    for (let i = 0; i < 2; i++) {
      const recorder = new EnvelopeRecorder()
      await service.subscribe(crawlId, recorder.handler, recorder.options({ afterSeq: 0 }))
      recorders.push(recorder)
    }
  }
  return recorders
}

describe('faults (each on its own redis-server)', () => {
  it('loses nothing when CLIENT KILL TYPE pubsub hits while 5 workers publish 2,000 events (no ordering)', async () => {
    const { open } = await redisServers.start()
    const admin = open()
    const publisher = new RedisProgressService({ redis: open(), onConnectionError, historyLimit })
    const services = [
      new RedisProgressService({ redis: open(), onConnectionError, historyLimit }),
      new RedisProgressService({ redis: open(), onConnectionError, historyLimit }),
    ]
    const crawlId = 'client-kill'
    await publisher.start(crawlId)
    const recorders = await subscribeAll(services, crawlId)

    const { channel } = createKeyBuilder()(crawlId)
    let published = 0
    const kills: number[] = []
    // One kill at a time, each only once both subscriber connections are subscribed again: a
    // kill that found one still reconnecting would prove nothing about that connection.
    let killing = Promise.resolve()
    const killBoth = async () => {
      await waitForRedisSubscribers(admin, channel, 2)
      kills.push(Number(await admin.client('KILL', 'TYPE', 'pubsub')))
    }
    const workers = Array.from({ length: 5 }, async () => {
      for (let i = 0; i < 400; i++) {
        await publisher.increment(crawlId, { processed: 1 })
        published += 1
        if (published % 250 === 0) {
          killing = killing.then(killBoth)
          await killing
        }
      }
    })
    await Promise.all(workers)
    expect(await publisher.complete(crawlId, { published })).toBe(true)

    for (const recorder of recorders) await recorder.waitForTerminal(30_000)
    const figures = recorders.map((recorder) => expectEverySeqOnce(recorder, 2_001))
    for (const recorder of recorders) {
      expect(recorder.terminals[0]?.totals).toEqual({ discovered: 0, processed: 2_000, failed: 0 })
      expect(recorder.errors).toEqual([])
    }
    // Each of the 8 kills cut both subscriber connections.
    expect(kills).toEqual([2, 2, 2, 2, 2, 2, 2, 2])
    console.info('client-kill figures', JSON.stringify({ published, kills, figures }))
    await Promise.all([publisher, ...services].map((service) => service.close()))
  }, 90_000)

  it('carries on across a Redis restart mid-stream (appendonly yes): every seq once, exact totals', async () => {
    const { server, open } = await redisServers.start(['--appendonly', 'yes'])
    const publisher = new RedisProgressService({ redis: open(), onConnectionError, historyLimit })
    const services = [
      new RedisProgressService({ redis: open(), onConnectionError, historyLimit }),
      new RedisProgressService({ redis: open(), onConnectionError, historyLimit }),
    ]
    const crawlId = 'restart'
    const { epoch } = await publisher.start(crawlId)
    const pidBefore = server.pid
    const recorders = await subscribeAll(services, crawlId)

    const rounds = 6
    const perRound = 5 * 50
    for (let round = 0; round < rounds; round++) {
      // Between rounds no command is in flight, so none can run twice after the restart.
      if (round === 3) {
        await server.halt()
        const resumed = Promise.all(
          Array.from({ length: 5 }, async () => {
            for (let i = 0; i < 50; i++) await publisher.increment(crawlId, { processed: 1 })
          }),
        )
        await server.restart()
        await resumed
        continue
      }
      await Promise.all(
        Array.from({ length: 5 }, async () => {
          for (let i = 0; i < 50; i++) await publisher.increment(crawlId, { processed: 1 })
        }),
      )
    }
    expect(await publisher.complete(crawlId, {})).toBe(true)
    const total = rounds * perRound
    for (const recorder of recorders) await recorder.waitForTerminal(30_000)
    const figures = recorders.map((recorder) => expectEverySeqOnce(recorder, total + 1))
    for (const recorder of recorders) {
      expect(recorder.terminals[0]).toMatchObject({ epoch, totals: { processed: total } })
      expect(recorder.errors).toEqual([])
    }
    expect(server.pid).not.toBe(pidBefore)
    console.info('restart figures', JSON.stringify({ published: total, figures }))
    await Promise.all([publisher, ...services].map((service) => service.close()))
  }, 90_000)
})
