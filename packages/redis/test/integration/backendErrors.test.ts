import { ProgressBackendError } from '@docspasta/progress-core'
import { Redis } from 'ioredis'
import { afterAll, expect, it } from 'vitest'
import { createKeyBuilder, RedisProgressService } from '../../src/index.js'
import { findFreePort } from '../support/redisServer.js'
import { connect, deletePrefix, sharedRedisUrl, uniquePrefix } from '../support/testPrefix.js'

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

it('fails subscribe() after subscribeTimeoutMs while Redis is down, and close() does not hang', async () => {
  const port = await findFreePort()
  const errors: Error[] = []
  // ioredis' defaults plus the BullMQ setting: reconnect forever, never fail a queued command.
  const down = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: null })
  down.on('error', (error) => errors.push(error))
  const service = new RedisProgressService({
    redis: down,
    subscribeTimeoutMs: 300,
    onConnectionError: (error) => errors.push(error),
  })
  const started = Date.now()
  await expect(service.subscribe('offline', () => {})).rejects.toMatchObject({
    code: 'backend-failure',
    message: expect.stringContaining('300 ms'),
  })
  expect(Date.now() - started).toBeLessThan(5_000)
  const pending = service.subscribe('offline-2', () => {})
  const closing = Date.now()
  await service.close()
  expect(Date.now() - closing).toBeLessThan(1_000)
  await expect(pending).rejects.toBeInstanceOf(Error)
  expect(service.diagnostics()).toEqual({ crawls: 0, subscriptions: 0, timers: 0 })
  down.disconnect()
})

function crawlIdOf(label: string): string {
  return `errors-${label}`
}

it('close() quits the subscriber connection it created and leaves the caller’s connection open', async () => {
  // The duplicate() inherits the connection name, which tells our clients from other tests'.
  const name = `close-check-${Math.random().toString(36).slice(2, 8)}`
  const caller = new Redis(sharedRedisUrl(), { connectionName: name })
  const clientsNamed = async (type: 'pubsub' | 'normal') =>
    String(await redis.call('CLIENT', 'LIST', 'TYPE', type))
      .split('\n')
      .filter((line) => line.includes(` name=${name} `)).length
  const service = new RedisProgressService({ redis: caller, prefix })
  await service.start('close-check')
  await service.subscribe('close-check', () => {})
  expect(await clientsNamed('pubsub')).toBe(1)
  await service.close()
  await expect.poll(() => clientsNamed('pubsub')).toBe(0)
  expect(await clientsNamed('normal')).toBe(1)
  expect(await caller.ping()).toBe('PONG')
  await expect(service.getSnapshot('close-check')).rejects.toMatchObject({ code: 'service-closed' })
  await caller.quit()
})
