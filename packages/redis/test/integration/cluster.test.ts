import { describeProgressServiceConformance, EnvelopeRecorder } from '@docspasta/progress-testing'
import { describe, expect, it } from 'vitest'
import { hashSlot } from '../../src/hashSlot.js'
import { createKeyBuilder, RedisProgressService } from '../../src/index.js'
import { useOwnCluster } from '../support/ownCluster.js'
import { scanPrefix, uniquePrefix } from '../support/testPrefix.js'

// A 3-master Redis Cluster of the test's own: the same contract must hold with keys spread over
// slots and messages on sharded pub/sub.
const own = useOwnCluster()
const prefix = uniquePrefix('cluster')

describeProgressServiceConformance({
  name: 'RedisProgressService (3-master cluster, sharded pub/sub)',
  create: (options) => new RedisProgressService({ redis: own.redis, prefix, ...options }),
  countStored: async () => (await scanPrefix(own.redis, prefix)).length,
})

describe('cluster layout', () => {
  it('spreads crawls over the masters and keeps each crawl in one slot', async () => {
    const service = new RedisProgressService({ redis: own.redis, prefix: `${prefix}-layout` })
    const keysOf = createKeyBuilder(`${prefix}-layout`)
    const ids = Array.from({ length: 24 }, (_, i) => `spread-${i}`)
    for (const id of ids) {
      await service.start(id)
      await service.increment(id, { processed: 1 })
    }
    const perMaster = await Promise.all(
      own.redis
        .nodes('master')
        .map(async (node) => (await scanPrefix(node, `${prefix}-layout`)).length),
    )
    expect(perMaster.filter((count) => count > 0).length).toBe(3)
    for (const id of ids) {
      const { state, events, channel } = keysOf(id)
      const slots = await Promise.all(
        [state, events, channel].map((key) => own.redis.cluster('KEYSLOT', key) as Promise<number>),
      )
      expect(new Set(slots).size).toBe(1)
      // The slot the shared subscriber computes to follow a channel's shard is Redis's own.
      expect(hashSlot(channel)).toBe(slots[0])
    }
    for (const id of ids) await service.cleanup(id)
    await service.close()
  })

  it('delivers over sharded pub/sub (SSUBSCRIBE on the owning shard, no classic SUBSCRIBE)', async () => {
    const service = new RedisProgressService({ redis: own.redis, prefix })
    const crawlId = 'sharded'
    await service.start(crawlId)
    const recorder = new EnvelopeRecorder()
    await service.subscribe(crawlId, recorder.handler, recorder.options())
    const { channel } = createKeyBuilder(prefix)(crawlId)
    const counts = await Promise.all(
      own.redis.nodes('master').map(async (node) => {
        const [, sharded] = (await node.call('PUBSUB', 'SHARDNUMSUB', channel)) as [string, number]
        const [, classic] = (await node.call('PUBSUB', 'NUMSUB', channel)) as [string, number]
        return { sharded, classic }
      }),
    )
    expect(counts.map((c) => c.sharded).reduce((a, b) => a + b)).toBe(1)
    expect(counts.map((c) => c.classic).reduce((a, b) => a + b)).toBe(0)
    await service.increment(crawlId, { processed: 1 })
    await recorder.waitForSeq(1)
    await service.cleanup(crawlId)
    await service.close()
  })
})
