import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ProgressClientError, subscribeProgress } from '../../src/index.js'
import { type FaultServer, startFaultServer } from '../support/faultServer.js'
import { describeEnvelope, fatalScenarios, gauntletScenario } from '../support/scenarios.js'
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

describe('subscribeProgress against a misbehaving server (Node, real HTTP)', () => {
  it('delivers every seq exactly once and in order through drops, 5xx, 429, bad lines, gaps, stalls and a new epoch (polling fallback)', async () => {
    const scenario = gauntletScenario()
    const url = server.script('gauntlet', scenario.steps)
    const errors: ProgressClientError[] = []
    const statuses: string[] = []
    const subscription = subscribeProgress(url, {
      // Ends the script's stall; it also bounds the wait for the first answer on a loaded machine.
      heartbeatTimeoutMs: 2_000,
      backoff: { initialMs: 20, maxMs: 200 },
      onError: (error) => errors.push(error),
      onStatus: (status) => statuses.push(status),
    })
    const seen: string[] = []
    for await (const envelope of subscription) seen.push(describeEnvelope(envelope))
    const terminal = await subscription.done
    expect(seen).toEqual(scenario.delivered)
    expect(terminal).toMatchObject({ type: 'complete', epoch: 'e2', seq: 5 })
    expect(server.requests('gauntlet').map((h) => h['last-event-id'])).toEqual(
      scenario.lastEventIds,
    )
    expect(errors.every((error) => !error.fatal)).toBe(true)
    expect(errors.map((e) => e.status).filter(Boolean)).toEqual([500, 503, 429])
    expect(statuses.at(-1)).toBe('closed')
    expect(subscription.status).toBe('closed')
    // The terminal envelope ended it: no request after it, even though the server kept it open.
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(server.requests('gauntlet')).toHaveLength(scenario.steps.length)
  }, 20_000)

  it('drops a repeated seq inside one response without reconnecting', async () => {
    const url = server.script('duplicate', [
      {
        kind: 'stream',
        chunks: [
          sseMessage(snapshotEnvelope('e1', 0)),
          sseMessage(progressEnvelope('e1', 1)),
          sseMessage(progressEnvelope('e1', 1)),
          sseMessage(progressEnvelope('e1', 2)),
          sseMessage(completeEnvelope('e1', 3)),
        ],
        after: 'stall',
      },
    ])
    const delivered: number[] = []
    const errors: ProgressClientError[] = []
    const subscription = subscribeProgress(url, {
      backoff: { initialMs: 1, maxMs: 1 },
      onEvent: (envelope) => delivered.push(envelope.seq),
      onError: (error) => errors.push(error),
    })
    await expect(subscription.done).resolves.toMatchObject({ type: 'complete', seq: 3 })
    expect(delivered).toEqual([0, 1, 2, 3])
    expect(errors).toEqual([])
    // A duplicate taken for a gap would have cost a reconnect (answered 410 by the script).
    expect(server.requests('duplicate')).toHaveLength(1)
  })

  for (const scenario of fatalScenarios) {
    it(`gives up at once after ${scenario.name} and sends no further request`, async () => {
      const url = server.script(scenario.name, [scenario.step, scenario.step])
      const errors: ProgressClientError[] = []
      const subscription = subscribeProgress(url, {
        backoff: { initialMs: 1, maxMs: 1 },
        onError: (error) => errors.push(error),
      })
      await expect(subscription.done).rejects.toMatchObject({ code: scenario.code, fatal: true })
      expect(errors).toHaveLength(1)
      expect(errors[0]?.status).toBe(scenario.status)
      const seen: unknown[] = []
      await expect(
        (async () => {
          for await (const envelope of subscription) seen.push(envelope)
        })(),
      ).rejects.toMatchObject({ code: scenario.code })
      await new Promise((resolve) => setTimeout(resolve, 100))
      expect(server.requests(scenario.name)).toHaveLength(1)
    })
  }

  it('calls a headers function before every attempt, so a refreshed token is used on reconnect', async () => {
    const url = server.script('token', [
      { kind: 'status', status: 503 },
      {
        kind: 'stream',
        chunks: [sseMessage(completeEnvelope('e', 1), { id: false })],
        after: 'stall',
      },
    ])
    let calls = 0
    const subscription = subscribeProgress(url, {
      backoff: { initialMs: 10, maxMs: 10 },
      headers: () => {
        calls += 1
        return { Authorization: `Bearer token-${calls}` }
      },
    })
    await subscription.done
    expect(server.requests('token').map((h) => h.authorization)).toEqual([
      'Bearer token-1',
      'Bearer token-2',
    ])
  })

  it('close() stops the request in flight and every timer', async () => {
    const url = server.script('close', [{ kind: 'stream', chunks: [': hi\n\n'], after: 'stall' }])
    const statuses: string[] = []
    const subscription = subscribeProgress(url, { onStatus: (s) => statuses.push(s) })
    await expect.poll(() => subscription.status).toBe('open')
    subscription.close()
    await expect(subscription.done).rejects.toMatchObject({ name: 'AbortError' })
    expect(statuses).toEqual(['connecting', 'open', 'closed'])
    expect(server.requests('close')).toHaveLength(1)
  })
})
