import { setImmediate } from 'node:timers/promises'
import type { ProgressError } from '@docspasta/progress-core'
import { EnvelopeRecorder, forceGc } from '@docspasta/progress-testing'
import { describe, expect, it } from 'vitest'
import { createKeyBuilder, RedisProgressService } from '../../src/index.js'
import { useOwnRedis } from '../support/ownRedis.js'
import { redisSubscriberCount, waitForRedisSubscribers } from '../support/pubsubChecks.js'
import { startTcpProxy } from '../support/tcpProxy.js'

// The shared subscriber connection under the faults an operator sees: kills, restarts, calls
// racing a reconnect or close(), and the resource that lives in Redis (PUBSUB NUMSUB) rather
// than in the process. Each test runs on a redis-server of its own.
const redisServers = useOwnRedis()
const keysOf = createKeyBuilder()

/**
 * A service that reaches its own Redis through a proxy that can hold Redis's replies (its
 * subscriber connection then stays between connect and ready for as long as a test wants), with
 * one subscription open on crawl `anchor`, so that connection is in subscriber mode.
 */
async function serviceBehindProxy() {
  const { server, open } = await redisServers.start()
  const admin = open()
  const proxy = await startTcpProxy(server.port)
  const service = new RedisProgressService({
    redis: open({}, proxy.url),
    onConnectionError: redisServers.onConnectionError,
  })
  await service.start('anchor')
  await service.subscribe('anchor', () => {})
  return { admin, proxy, service }
}

describe('shared subscriber', () => {
  it('leaves no subscription in Redis once the last subscriber of a crawl is gone', async () => {
    const { open } = await redisServers.start()
    const admin = open()
    const service = new RedisProgressService({ redis: open() })
    const ids = ['numsub-a', 'numsub-b', 'numsub-c']
    for (const id of ids) await service.start(id)
    const subscriptions = await Promise.all(
      ids.flatMap((id) => [service.subscribe(id, () => {}), service.subscribe(id, () => {})]),
    )
    for (const id of ids) expect(await redisSubscriberCount(admin, keysOf(id).channel)).toBe(1)
    // One of two listeners gone: the channel stays; both gone: Redis drops it too.
    await subscriptions[0]?.unsubscribe()
    expect(await redisSubscriberCount(admin, keysOf('numsub-a').channel)).toBe(1)
    await subscriptions[1]?.unsubscribe()
    // Ended by the terminal envelope rather than by unsubscribe().
    await service.complete('numsub-b')
    await subscriptions[5]?.unsubscribe()
    for (const id of ['numsub-a', 'numsub-b']) {
      await waitForRedisSubscribers(admin, keysOf(id).channel, 0)
    }
    expect(await redisSubscriberCount(admin, keysOf('numsub-c').channel)).toBe(1)
    await subscriptions[4]?.unsubscribe()
    await waitForRedisSubscribers(admin, keysOf('numsub-c').channel, 0)
    expect(service.diagnostics()).toEqual({ crawls: 0, subscriptions: 0, timers: 0 })
    await service.close()
  })

  it('unsubscribes in Redis what was removed while the connection was down', async () => {
    const { server, open } = await redisServers.start(['--appendonly', 'yes'])
    const admin = open()
    const connectionDown: Error[] = []
    const service = new RedisProgressService({
      redis: open(),
      onConnectionError: (error) => void connectionDown.push(error),
    })
    const ids = Array.from({ length: 51 }, (_, i) => `down-${i}`)
    for (const id of ids) await service.start(id)
    const subscriptions = await Promise.all(ids.map((id) => service.subscribe(id, () => {})))
    await server.halt()
    // The subscriber connection reports its failed reconnects: it is down now.
    await expect
      .poll(() => connectionDown.length, { timeout: 10_000, interval: 10 })
      .toBeGreaterThan(0)
    for (const subscription of subscriptions.slice(1)) await subscription.unsubscribe()
    await server.restart()

    // The kept subscription is back, and the 50 removed ones are not.
    await waitForRedisSubscribers(admin, keysOf('down-0').channel, 1)
    for (const id of ids.slice(1)) await waitForRedisSubscribers(admin, keysOf(id).channel, 0)
    const [, subscribed] = (await admin.call('PUBSUB', 'NUMSUB')) as [unknown, unknown]
    expect(subscribed).toBeUndefined()
    const channels = (await admin.call('PUBSUB', 'CHANNELS')) as string[]
    expect(channels).toEqual([keysOf('down-0').channel])
    await service.close()
  }, 60_000)

  it('lets subscribe() calls made while a killed subscriber reconnects wait for it, then deliver (5 × 600)', async () => {
    const { admin, proxy, service } = await serviceBehindProxy()
    // Which replies share a read with the handshake's varies: 5 rounds, each must pass.
    for (let round = 0; round < 5; round++) {
      const ids = Array.from({ length: 600 }, (_, i) => `rush-${round}-${i}`)
      await Promise.all(ids.map((id) => service.start(id)))
      const reconnected = proxy.nextConnection()
      expect(Number(await admin.client('KILL', 'TYPE', 'pubsub'))).toBe(1)
      proxy.holdReplies(true)
      await reconnected
      const recorders = ids.map(() => new EnvelopeRecorder())
      const calls = ids.map((id, i) => {
        const recorder = recorders[i] as EnvelopeRecorder
        return service.subscribe(id, recorder.handler, recorder.options())
      })
      // Whatever the calls send now reaches Redis before the handshake's replies come back.
      await setImmediate()
      proxy.holdReplies(false)
      const outcomes = await Promise.allSettled(calls)
      const rejected = outcomes.filter((outcome) => outcome.status === 'rejected')
      expect(rejected.map((outcome) => String(outcome.reason)).slice(0, 3)).toEqual([])
      await Promise.all(ids.map((id) => service.increment(id, { processed: 1 })))
      for (const recorder of recorders) await recorder.waitForSeq(1)
      expect(service.diagnostics().subscriptions).toBe(1 + ids.length)
      await Promise.all(ids.map((id) => service.complete(id)))
      await expect.poll(() => service.diagnostics().subscriptions).toBe(1)
    }
    await service.close()
    await proxy.close()
  }, 60_000)

  it('leaves nothing subscribed in Redis for a crawl cleaned up while its subscribe waited for the connection', async () => {
    const { admin, proxy, service } = await serviceBehindProxy()
    await service.start('gone')
    // The subscriber connection is cut and its reconnect held in its handshake; the command
    // connection, open already, goes on.
    proxy.holdNewConnections(true)
    const reconnected = proxy.nextConnection()
    expect(Number(await admin.client('KILL', 'TYPE', 'pubsub'))).toBe(1)
    await reconnected
    const errors: ProgressError[] = []
    const pending = service.subscribe('gone', () => {}, { onError: (e) => void errors.push(e) })
    expect(await service.cleanup('gone')).toBe(true)
    proxy.holdNewConnections(false)
    await expect(pending).rejects.toMatchObject({ code: 'crawl-not-found' })
    await waitForRedisSubscribers(admin, keysOf('anchor').channel, 1)
    // The late subscribe would come right after the reconnect's unsubscribe: wait it out.
    await service.increment('anchor', { processed: 1 })
    expect(await redisSubscriberCount(admin, keysOf('gone').channel)).toBe(0)
    expect(service.diagnostics()).toMatchObject({ crawls: 1, subscriptions: 1 })
    await service.close()
    await proxy.close()
  })

  it('rejects a subscribe() in flight when close() runs with service-closed', async () => {
    const { server, open } = await redisServers.start()
    const service = new RedisProgressService({
      redis: open(),
      onConnectionError: redisServers.onConnectionError,
    })
    await service.start('closing')
    await server.halt()
    const pending = service.subscribe('closing', () => {})
    await service.close()
    await expect(pending).rejects.toMatchObject({ code: 'service-closed' })
    expect(service.diagnostics()).toEqual({ crawls: 0, subscriptions: 0, timers: 0 })
  })

  it('ends every subscription with backend-failure when ioredis stops reconnecting', async () => {
    const { server, open } = await redisServers.start()
    // Two reconnect attempts, then ioredis gives up: the connection ends for good.
    const redis = open({ retryStrategy: (attempt) => (attempt > 2 ? null : 20) })
    const service = new RedisProgressService({
      redis,
      onConnectionError: redisServers.onConnectionError,
    })
    await service.start('gives-up')
    const recorders = [new EnvelopeRecorder(), new EnvelopeRecorder()]
    for (const recorder of recorders) {
      await service.subscribe('gives-up', recorder.handler, recorder.options())
    }
    await server.halt()
    for (const recorder of recorders) {
      await recorder.waitForError()
      expect(recorder.errors).toMatchObject([
        { code: 'backend-failure', message: expect.stringContaining('stopped reconnecting') },
      ])
    }
    expect(service.diagnostics()).toEqual({ crawls: 0, subscriptions: 0, timers: 0 })
    await service.close()
  })

  it('connects its subscriber connection itself when the caller made theirs with lazyConnect', async () => {
    const { open } = await redisServers.start()
    const service = new RedisProgressService({ redis: open({ lazyConnect: true }) })
    await service.start('lazy')
    const recorder = new EnvelopeRecorder()
    await service.subscribe('lazy', recorder.handler, recorder.options())
    await service.increment('lazy', { processed: 1 })
    await recorder.waitForSeq(1)
    await service.close()
  })

  it('keeps the heap flat over 50,000 subscribe/unsubscribe cycles (unbounded throttle map)', async () => {
    const { open } = await redisServers.start()
    const service = new RedisProgressService({ redis: open() })
    const ids = Array.from({ length: 10 }, (_, i) => `cycles-${i}`)
    for (const id of ids) await service.start(id)
    const cycle = async (rounds: number) => {
      await Promise.all(
        ids.map(async (id) => {
          for (let i = 0; i < rounds; i++) {
            const subscription = await service.subscribe(id, () => {})
            await subscription.unsubscribe()
          }
        }),
      )
    }
    await cycle(200)
    await forceGc()
    const before = process.memoryUsage().heapUsed
    await cycle(5_000)
    await forceGc()
    const growth = process.memoryUsage().heapUsed - before
    console.info(
      'subscribe-cycle figures',
      JSON.stringify({ cycles: 50_000, growthBytes: growth, perCycle: growth / 50_000 }),
    )
    // The leak measured before the fix was ~300 bytes per cycle (15 MB here).
    expect(growth).toBeLessThan(2 * 1024 * 1024)
    expect(service.diagnostics()).toEqual({ crawls: 0, subscriptions: 0, timers: 0 })
    await service.close()
  }, 120_000)
})
