import { EnvelopeRecorder } from '@docspasta/progress-testing'
import { afterAll, expect, it } from 'vitest'
import { createKeyBuilder, RedisProgressService } from '../../src/index.js'
import { connect, deletePrefix, scanPrefix, uniquePrefix } from '../support/testPrefix.js'

const redis = connect()
const prefix = uniquePrefix('race')
afterAll(async () => {
  await deletePrefix(redis, prefix)
  await redis.quit()
})

it('50 workers racing complete()/fail(): one winner, one terminal stream entry, TTL on every key (completion race)', async () => {
  const ttlSeconds = 600
  const connections = Array.from({ length: 5 }, () => connect())
  const services = connections.map(
    (connection) => new RedisProgressService({ redis: connection, prefix, ttlSeconds }),
  )
  const [first] = services as [RedisProgressService]
  const crawlId = 'race'
  await first.start(crawlId)
  await first.publishBatch(crawlId, [
    { type: 'discovery', urls: ['https://a', 'https://b'] },
    { type: 'progress', delta: { processed: 2 } },
  ])
  const recorders = await Promise.all(
    services.map(async (service) => {
      const recorder = new EnvelopeRecorder()
      await service.subscribe(crawlId, recorder.handler, recorder.options())
      return recorder
    }),
  )

  // 50 workers on 5 services (5 connections), all at once.
  const outcomes = await Promise.all(
    Array.from({ length: 50 }, (_, worker) => {
      const service = services[worker % services.length] as RedisProgressService
      return worker % 3 === 0
        ? service.fail(crawlId, { code: 'crashed', message: `worker ${worker}`, retryable: true })
        : service.complete(crawlId, { worker })
    }),
  )
  expect(outcomes.filter(Boolean)).toHaveLength(1)

  const keys = createKeyBuilder(prefix)(crawlId)
  const entries = await redis.xrange(keys.events, '-', '+')
  const types = entries.map(([, fields]) => JSON.parse(fields[1] as string).type)
  expect(types).toEqual(['discovery', 'progress', types[2]])
  expect(['complete', 'error']).toContain(types[2])

  for (const recorder of recorders) {
    await recorder.waitForTerminal()
    expect(recorder.terminals).toHaveLength(1)
    expect(recorder.seqs).toEqual([3])
  }

  const stored = await scanPrefix(redis, prefix)
  expect(stored.sort()).toEqual([keys.events, keys.operations, keys.state].sort())
  for (const key of stored) {
    const ttl = await redis.ttl(key)
    expect(ttl).toBeGreaterThan(ttlSeconds - 30)
    expect(ttl).toBeLessThanOrEqual(ttlSeconds)
  }
  for (const service of services) await service.close()
  for (const connection of connections) await connection.quit()
})
