import type { Cluster, Redis } from 'ioredis'
import { expect } from 'vitest'

/**
 * Subscriber connections Redis itself counts on a channel: `PUBSUB NUMSUB` on a standalone
 * server, `PUBSUB SHARDNUMSUB` summed over every master of a cluster. Tests assert this, not the
 * service's own bookkeeping, wherever the resource lives in Redis.
 */
export async function redisSubscriberCount(
  redis: Redis | Cluster,
  channel: string,
): Promise<number> {
  if (redis.isCluster) {
    const counts = await Promise.all(
      (redis as Cluster).nodes('master').map(async (node) => {
        const [, count] = (await node.call('PUBSUB', 'SHARDNUMSUB', channel)) as [string, number]
        return Number(count)
      }),
    )
    return counts.reduce((sum, count) => sum + count, 0)
  }
  const [, count] = (await redis.call('PUBSUB', 'NUMSUB', channel)) as [string, number]
  return Number(count)
}

/** Waits (by polling Redis) until `count` subscriber connections hold the channel. */
export async function waitForRedisSubscribers(
  redis: Redis | Cluster,
  channel: string,
  count: number,
  timeout = 15_000,
): Promise<void> {
  await expect
    .poll(() => redisSubscriberCount(redis, channel), { timeout, interval: 10 })
    .toBe(count)
}
