import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { type ProgressClientError, subscribeProgress } from '../../src/index.js'
import { progressEnvelope, snapshotEnvelope, sseMessage } from '../support/sseText.js'

const snapshot = snapshotEnvelope('e1', 0)
const data = (value: unknown) => `data: ${JSON.stringify(value)}\n\n`

// Data no reconnect can fix: reconnecting would fetch the same thing again, forever.
const notAnEnvelope: [string, string][] = [
  ['data that is not JSON', 'data: {"v":1,\n\n'],
  ['JSON that is not an envelope', data({ hello: 'world' })],
  ['null', data(null)],
  ['an array', data([snapshot])],
  ['protocol version 2', data({ ...snapshot, v: 2 })],
  ['no protocol version', data({ ...snapshot, v: undefined })],
  [
    'an epoch with a line break (no Last-Event-ID header could carry it)',
    data({ ...snapshot, epoch: 'e\n1' }),
  ],
  ['an epoch in upper case', data({ ...snapshot, epoch: 'E1' })],
  ['an epoch longer than 32 characters', data({ ...snapshot, epoch: 'e'.repeat(33) })],
  ['an epoch that is not a string', data({ ...snapshot, epoch: 123 })],
  ['a negative seq', data({ ...snapshot, seq: -1 })],
  ['a fractional seq', data({ ...snapshot, seq: 1.5 })],
  ['a seq beyond the safe integers', data({ ...snapshot, seq: 2 ** 53 })],
  ['a seq as a string', data({ ...snapshot, seq: '0' })],
  ['an unknown type', data({ ...progressEnvelope('e1', 1), type: 'progres' })],
  ['a tag with a colon', data({ ...progressEnvelope('e1', 1), tag: 'a:b' })],
  ['a tag that is null', data({ ...progressEnvelope('e1', 1), tag: null })],
  ['no totals', data({ ...snapshot, totals: undefined })],
  ['totals that are not an object', data({ ...snapshot, totals: 7 })],
]

describe("data that is not a v1 envelope (fatal 'protocol')", () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  function streamFetch(body: string) {
    return vi.fn(
      async () => new Response(body, { headers: { 'Content-Type': 'text/event-stream' } }),
    )
  }

  it.each(notAnEnvelope)('ends the subscription at once on %s', async (_, body) => {
    const fetch = streamFetch(body)
    const errors: ProgressClientError[] = []
    const delivered: unknown[] = []
    const subscription = subscribeProgress('http://x/stream', {
      fetch: fetch as unknown as typeof globalThis.fetch,
      backoff: { initialMs: 1, maxMs: 1 },
      onError: (error) => errors.push(error),
      onEvent: (envelope) => delivered.push(envelope),
    })
    await vi.advanceTimersByTimeAsync(1_000)
    expect(fetch).toHaveBeenCalledTimes(1)
    expect(delivered).toEqual([])
    expect(errors.map((error) => [error.code, error.fatal])).toEqual([['protocol', true]])
    await expect(subscription.done).rejects.toMatchObject({ code: 'protocol' })
    expect(subscription.status).toBe('closed')
  })

  it('accepts a v1 envelope with unknown extra fields (forward compatibility)', async () => {
    const fetch = streamFetch(
      sseMessage(snapshot) + data({ ...progressEnvelope('e1', 1), tag: 'k3f9', extra: { a: 1 } }),
    )
    const delivered: number[] = []
    const subscription = subscribeProgress('http://x/stream', {
      fetch: fetch as unknown as typeof globalThis.fetch,
      onEvent: (envelope) => delivered.push(envelope.seq),
    })
    await vi.advanceTimersByTimeAsync(0)
    subscription.close()
    expect(delivered).toEqual([0, 1])
  })

  it("keeps 'invalid-envelope' for what the validate option rejects, with its error as cause", async () => {
    const rejection = new Error('totals.processed: expected a number')
    const fetch = streamFetch(sseMessage(snapshot))
    const subscription = subscribeProgress('http://x/stream', {
      fetch: fetch as unknown as typeof globalThis.fetch,
      validate: () => {
        throw rejection
      },
    })
    await vi.advanceTimersByTimeAsync(1_000)
    await expect(subscription.done).rejects.toMatchObject({
      code: 'invalid-envelope',
      fatal: true,
      cause: rejection,
    })
    expect(fetch).toHaveBeenCalledTimes(1)
  })

  it("reports 'protocol', not 'invalid-envelope', for a v2 envelope even with validate", async () => {
    const validate = vi.fn((value: unknown) => value as never)
    const fetch = streamFetch(data({ ...snapshot, v: 2 }))
    const subscription = subscribeProgress('http://x/stream', {
      fetch: fetch as unknown as typeof globalThis.fetch,
      validate,
    })
    await vi.advanceTimersByTimeAsync(1_000)
    expect(subscription.status).toBe('closed')
    await expect(subscription.done).rejects.toMatchObject({ code: 'protocol' })
    expect(validate).not.toHaveBeenCalled()
  })
})
