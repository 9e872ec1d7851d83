import { Cluster } from 'ioredis'
import { afterAll, beforeAll } from 'vitest'
import { startRedisCluster } from './redisServer.js'

/**
 * A 3-master Redis Cluster of the test file's own, and a `Cluster` client connected to it,
 * started before the file's tests and stopped after them. Read `cluster` and `redis` inside
 * tests (they are set by then). The client's errors are kept, not discarded.
 */
export function useOwnCluster(extraArgs: readonly string[] = []) {
  const fixture = {
    cluster: undefined as unknown as Awaited<ReturnType<typeof startRedisCluster>>,
    redis: undefined as unknown as Cluster,
    connectionErrors: [] as Error[],
  }
  beforeAll(async () => {
    fixture.cluster = await startRedisCluster(3, extraArgs)
    const port = fixture.cluster.nodes[0]?.port as number
    fixture.redis = new Cluster([{ host: '127.0.0.1', port }])
    fixture.redis.on('error', (error) => void fixture.connectionErrors.push(error))
    await new Promise<void>((resolve, reject) => {
      fixture.redis.once('ready', resolve)
      fixture.redis.once('error', reject)
    })
  }, 60_000)
  afterAll(async () => {
    await fixture.redis?.quit()
    await fixture.cluster?.stop()
  })
  return fixture
}
