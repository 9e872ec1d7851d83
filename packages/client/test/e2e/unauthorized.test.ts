import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { ProgressClientError, subscribeProgress } from '../../src/index.js'
import { type FaultServer, type FaultStep, startFaultServer } from '../support/faultServer.js'
import {
  completeEnvelope,
  progressEnvelope,
  snapshotEnvelope,
  sseMessage,
} from '../support/sseText.js'

let server: FaultServer
beforeAll(async () => {
  server = await startFaultServer()
})
afterAll(async () => {
  await server.close()
})

const unauthorized: FaultStep = { kind: 'status', status: 401 }
const completes: FaultStep = {
  kind: 'stream',
  chunks: [sseMessage(snapshotEnvelope('e', 0)), sseMessage(completeEnvelope('e', 1))],
  after: 'stall',
}
const staleHeaders = { Authorization: 'Bearer stale', 'X-App': 'demo' }
const authorizationOf = (name: string) => server.requests(name).map((h) => h.authorization)

describe('onUnauthorized (Node, real HTTP)', () => {
  it('retries a 401 at once, without backoff, with the headers the hook returns over the others', async () => {
    const url = server.script('auth-refresh', [unauthorized, completes])
    const errors: ProgressClientError[] = []
    const onUnauthorized = vi.fn(async (error: ProgressClientError) => {
      expect(error).toMatchObject({ code: 'http-status', status: 401 })
      return { Authorization: 'Bearer fresh' }
    })
    const subscription = subscribeProgress(url, {
      headers: staleHeaders,
      // Any backoff would outlast the test's timeout.
      backoff: { initialMs: 600_000, maxMs: 600_000 },
      random: () => 0.99,
      onUnauthorized,
      onError: (error) => errors.push(error),
    })
    await expect(subscription.done).resolves.toMatchObject({ type: 'complete' })
    expect(onUnauthorized).toHaveBeenCalledTimes(1)
    expect(authorizationOf('auth-refresh')).toEqual(['Bearer stale', 'Bearer fresh'])
    expect(server.requests('auth-refresh')[1]?.['x-app']).toBe('demo')
    expect(errors).toEqual([])
  }, 5_000)

  it('keeps the returned headers for later attempts, and asks again only after a connection opened', async () => {
    const url = server.script('auth-later', [
      unauthorized,
      { kind: 'stream', chunks: [sseMessage(snapshotEnvelope('e', 0))], after: 'drop' },
      { kind: 'status', status: 503 },
      unauthorized,
      {
        kind: 'stream',
        chunks: [sseMessage(progressEnvelope('e', 1)), sseMessage(completeEnvelope('e', 2))],
        after: 'stall',
      },
    ])
    let refreshes = 0
    const subscription = subscribeProgress(url, {
      headers: staleHeaders,
      backoff: { initialMs: 10, maxMs: 10 },
      onUnauthorized: () => {
        refreshes += 1
        return { Authorization: `Bearer fresh-${refreshes}` }
      },
    })
    await expect(subscription.done).resolves.toMatchObject({ type: 'complete', seq: 2 })
    expect(refreshes).toBe(2)
    expect(authorizationOf('auth-later')).toEqual([
      'Bearer stale',
      'Bearer fresh-1',
      'Bearer fresh-1',
      'Bearer fresh-1',
      'Bearer fresh-2',
    ])
  })

  it('gives up when the immediate retry is answered 401 again', async () => {
    const url = server.script('auth-again', [unauthorized, unauthorized, completes])
    const onUnauthorized = vi.fn(() => ({ Authorization: 'Bearer still-wrong' }))
    const errors: ProgressClientError[] = []
    const subscription = subscribeProgress(url, {
      backoff: { initialMs: 1, maxMs: 1 },
      onUnauthorized,
      onError: (error) => errors.push(error),
    })
    await expect(subscription.done).rejects.toMatchObject({ code: 'http-status', status: 401 })
    expect(onUnauthorized).toHaveBeenCalledTimes(1)
    expect(errors).toHaveLength(1)
    expect(server.requests('auth-again')).toHaveLength(2)
  })

  it('gives up when the hook returns undefined', async () => {
    const url = server.script('auth-none', [unauthorized, completes])
    const onUnauthorized = vi.fn(async () => undefined)
    const subscription = subscribeProgress(url, {
      backoff: { initialMs: 1, maxMs: 1 },
      onUnauthorized,
    })
    await expect(subscription.done).rejects.toMatchObject({ code: 'http-status', status: 401 })
    expect(onUnauthorized).toHaveBeenCalledTimes(1)
    expect(server.requests('auth-none')).toHaveLength(1)
  })

  it('gives up when the hook throws, with its error as the cause', async () => {
    const url = server.script('auth-throws', [unauthorized, completes])
    const thrown = new Error('the session is gone')
    const errors: ProgressClientError[] = []
    const subscription = subscribeProgress(url, {
      backoff: { initialMs: 1, maxMs: 1 },
      onUnauthorized: () => Promise.reject(thrown),
      onError: (error) => errors.push(error),
    })
    const error = await subscription.done.catch((reason: unknown) => reason)
    expect(error).toBeInstanceOf(ProgressClientError)
    expect(error).toMatchObject({ code: 'http-status', status: 401, fatal: true, cause: thrown })
    expect(errors).toEqual([error])
    expect(server.requests('auth-throws')).toHaveLength(1)
  })
})
