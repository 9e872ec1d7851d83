import { setTimeout } from 'node:timers/promises'
import { EnvelopeRecorder } from '@docspasta/progress-testing'
import { Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { createKeyBuilder, RedisProgressService } from '../../src/index.js'
import { useOwnCluster } from '../support/ownCluster.js'
import { waitForRedisSubscribers } from '../support/pubsubChecks.js'
import { expectEverySeqOnce } from '../support/streamChecks.js'
import { uniquePrefix } from '../support/testPrefix.js'

// A 3-master cluster of this file's own: its sharded subscriber connections are cut on purpose.
// Persistent, so that a master restarted by a test comes back with its crawls.
const own = useOwnCluster(['--appendonly', 'yes'])
const prefix = uniquePrefix('cluster-faults')
const keysOf = createKeyBuilder(prefix)
const { connectionErrors } = own

/** Waits until the node (restarted) sees the cluster whole again. */
async function waitForClusterOk(port: number): Promise<void> {
  const node = new Redis(port, '127.0.0.1')
  await expect
    .poll(async () => String(await node.cluster('INFO')).includes('cluster_state:ok'), {
      timeout: 30_000,
      interval: 50,
    })
    .toBe(true)
  node.disconnect()
}

/** CLIENT KILL TYPE pubsub on every master: every shard's subscriber connection is cut. */
async function killPubsubOnEveryMaster(): Promise<number> {
  const killed = await Promise.all(
    own.redis.nodes('master').map((node) => node.client('KILL', 'TYPE', 'pubsub')),
  )
  return killed.reduce((sum: number, count) => sum + Number(count), 0)
}

describe('sharded subscribers under faults (3-master cluster)', () => {
  it('re-reads every crawl after every shard subscriber is cut: 12 of 12 see the last event and the terminal, 3 times over', async () => {
    const service = new RedisProgressService({
      redis: own.redis,
      prefix,
      onConnectionError: (error) => void connectionErrors.push(error),
    })
    for (let round = 0; round < 3; round++) {
      const ids = Array.from({ length: 12 }, (_, i) => `shard-cut-${round}-${i}`)
      const recorders = new Map<string, EnvelopeRecorder>()
      for (const id of ids) {
        await service.start(id)
        await service.increment(id, { processed: 1 })
        const recorder = new EnvelopeRecorder()
        await service.subscribe(id, recorder.handler, recorder.options({ afterSeq: 0 }))
        recorders.set(id, recorder)
      }
      for (const id of ids) await waitForRedisSubscribers(own.redis, keysOf(id).channel, 1)
      // The 12 crawls spread over the 3 masters: every master holds subscriptions to cut.
      expect(await killPubsubOnEveryMaster()).toBe(3)
      // Published at once, while the shard subscribers are being replaced.
      for (const id of ids) {
        await service.increment(id, { processed: 1 })
        expect(await service.complete(id, { round })).toBe(true)
      }
      const received = await Promise.allSettled(
        ids.map((id) => recorders.get(id)?.waitForTerminal(8_000)),
      )
      const missing = ids.filter((_, i) => received[i]?.status === 'rejected')
      expect(missing).toEqual([])
      for (const recorder of recorders.values()) {
        expectEverySeqOnce(recorder, 3)
        expect(recorder.errors).toEqual([])
      }
      // Each subscription ended with its terminal envelope; Redis holds none of them any more.
      for (const id of ids) await waitForRedisSubscribers(own.redis, keysOf(id).channel, 0)
      expect(service.diagnostics()).toEqual({ crawls: 0, subscriptions: 0, timers: 0 })
    }
    await service.close()
  }, 90_000)

  it('waits out a master that is down longer than subscribeTimeoutMs, then re-reads: no subscription lost', async () => {
    const subscribeTimeoutMs = 2_000
    const service = new RedisProgressService({
      redis: own.redis,
      prefix,
      subscribeTimeoutMs,
      onConnectionError: (error) => void connectionErrors.push(error),
    })
    const ids = Array.from({ length: 12 }, (_, i) => `master-down-${i}`)
    const recorders = new Map<string, EnvelopeRecorder>()
    for (const id of ids) {
      await service.start(id)
      const recorder = new EnvelopeRecorder()
      await service.subscribe(id, recorder.handler, recorder.options({ afterSeq: 0 }))
      recorders.set(id, recorder)
    }
    const down = own.cluster.nodes[1] as (typeof own.cluster.nodes)[number]
    await down.halt()
    // The outage itself: three times the subscribe timeout, with the shard's subscriber gone.
    await setTimeout(3 * subscribeTimeoutMs)
    await down.restart()
    await waitForClusterOk(down.port)
    for (const id of ids) {
      await service.increment(id, { processed: 1 })
      expect(await service.complete(id, {})).toBe(true)
    }
    for (const [id, recorder] of recorders) {
      await recorder.waitFor(
        () => recorder.terminals.length > 0 || recorder.errors.length > 0,
        15_000,
      )
      expect({ id, errors: recorder.errors.map((e) => e.message) }).toEqual({ id, errors: [] })
      expectEverySeqOnce(recorder, 2)
    }
    expect(service.diagnostics()).toEqual({ crawls: 0, subscriptions: 0, timers: 0 })
    await service.close()
  }, 90_000)

  it('drops the sharded subscription in Redis when the last subscriber of a crawl leaves', async () => {
    const service = new RedisProgressService({ redis: own.redis, prefix })
    const ids = ['leave-a', 'leave-b', 'leave-c', 'leave-d']
    for (const id of ids) await service.start(id)
    const subscriptions = await Promise.all(ids.map((id) => service.subscribe(id, () => {})))
    for (const id of ids) await waitForRedisSubscribers(own.redis, keysOf(id).channel, 1)
    for (const subscription of subscriptions) await subscription.unsubscribe()
    for (const id of ids) await waitForRedisSubscribers(own.redis, keysOf(id).channel, 0)
    await service.close()
  })
})
