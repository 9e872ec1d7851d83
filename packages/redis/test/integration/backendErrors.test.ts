import { ProgressBackendError } from '@docspasta/progress-core'
import { Redis } from 'ioredis'
import { afterAll, expect, it } from 'vitest'
import { createKeyBuilder, RedisProgressService } from '../../src/index.js'
import { findFreePort } from '../support/redisServer.js'
import { connect, deletePrefix, uniquePrefix } from '../support/testPrefix.js'

const redis = connect()
const prefix = uniquePrefix('errors')
afterAll(async () => {
  await deletePrefix(redis, prefix)
  await redis.quit()
})

it('surfaces a Redis error reply as ProgressBackendError with the cause attached', async () => {
  const service = new RedisProgressService({ redis, prefix })
  const { state } = createKeyBuilder(prefix)(crawlIdOf('wrongtype'))
  await redis.set(state, 'not a hash')
  const publishing = service.increment(crawlIdOf('wrongtype'), { processed: 1 })
  await expect(publishing).rejects.toBeInstanceOf(ProgressBackendError)
  await expect(publishing).rejects.toMatchObject({
    code: 'backend-failure',
    cause: expect.objectContaining({ message: expect.stringContaining('WRONGTYPE') }),
  })
  await expect(service.getSnapshot(crawlIdOf('wrongtype'))).rejects.toBeInstanceOf(
    ProgressBackendError,
  )
  await service.close()
})

it('surfaces an unreachable Redis as ProgressBackendError, including on subscribe', async () => {
  const port = await findFreePort()
  const errors: Error[] = []
  const down = new Redis(port, '127.0.0.1', {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  })
  down.on('error', (error) => errors.push(error))
  const service = new RedisProgressService({
    redis: down,
    onConnectionError: (error) => errors.push(error),
  })
  await expect(service.start('offline')).rejects.toBeInstanceOf(ProgressBackendError)
  await expect(service.publish('offline', { type: 'progress', delta: {} })).rejects.toMatchObject({
    code: 'backend-failure',
    cause: expect.any(Error),
  })
  await expect(service.subscribe('offline', () => {})).rejects.toBeInstanceOf(ProgressBackendError)
  expect(service.diagnostics()).toEqual({ crawls: 0, subscriptions: 0, timers: 0 })
  expect(errors.length).toBeGreaterThan(0)
  await service.close()
  down.disconnect()
})

function crawlIdOf(label: string): string {
  return `errors-${label}`
}
