import { type Cluster, Redis } from 'ioredis'
import { inject } from 'vitest'

/** A prefix unique to one test file and run, so tests never touch each other's keys. */
export function uniquePrefix(label: string): string {
  return `docspasta-test:${label}:${Math.random().toString(36).slice(2, 10)}`
}

/** Keys under a prefix, by SCAN (never KEYS) on every master: what a test wrote. */
export async function scanPrefix(redis: Redis | Cluster, prefix: string): Promise<string[]> {
  if (redis.isCluster) {
    const masters = (redis as Cluster).nodes('master')
    return (await Promise.all(masters.map((node) => scanPrefix(node, prefix)))).flat()
  }
  const keys: string[] = []
  let cursor = '0'
  do {
    const [next, batch] = await (redis as Redis).scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000)
    cursor = next
    keys.push(...batch)
  } while (cursor !== '0')
  return keys
}

/** Deletes what a test file wrote under its prefix, and nothing else. */
export async function deletePrefix(redis: Redis | Cluster, prefix: string): Promise<void> {
  // One DEL per key: on a cluster the keys of different crawls live in different slots.
  for (const key of await scanPrefix(redis, prefix)) await redis.del(key)
}

export function sharedRedisUrl(): string {
  return inject('redisUrl')
}

export function connect(url = sharedRedisUrl()): Redis {
  return new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 3 })
}
