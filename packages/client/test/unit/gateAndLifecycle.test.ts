import { getEventListeners } from 'node:events'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { EnvelopeGate } from '../../src/envelopeGate.js'
import { subscribeProgress } from '../../src/index.js'
import {
  completeEnvelope,
  progressEnvelope,
  snapshotEnvelope,
  sseMessage,
} from '../support/sseText.js'

describe('EnvelopeGate', () => {
  it('takes a resync snapshot as the new position, even behind what was seen', () => {
    const gate = new EnvelopeGate('e1:130')
    expect(gate.decide(progressEnvelope('e1', 125))).toBe('drop')
    expect(gate.decide(snapshotEnvelope('e1', 100, true))).toBe('deliver')
    expect(gate.lastEventId).toBe('e1:100')
    expect(gate.decide(progressEnvelope('e1', 101))).toBe('deliver')
    expect(gate.decide(progressEnvelope('e1', 103))).toBe('gap')
  })

  it('drops a repeat of the last seq as a duplicate, not as a gap', () => {
    const gate = new EnvelopeGate('e1:4')
    expect(gate.decide(progressEnvelope('e1', 4))).toBe('drop')
    expect(gate.decide(progressEnvelope('e1', 5))).toBe('deliver')
    expect(gate.decide(progressEnvelope('e1', 5))).toBe('drop')
  })

  it('takes an envelope of another epoch without its snapshot as a gap, and keeps its position', () => {
    const gate = new EnvelopeGate('e1:4')
    expect(gate.decide(progressEnvelope('e2', 7))).toBe('gap')
    expect(gate.lastEventId).toBe('e1:4')
    expect(gate.decide(snapshotEnvelope('e2', 6))).toBe('deliver')
    expect(gate.decide(progressEnvelope('e2', 7))).toBe('deliver')
  })

  it('takes seq 1 of another epoch without its snapshot as a gap too (protocol rule 5)', () => {
    const gate = new EnvelopeGate('e1:4')
    expect(gate.decide(progressEnvelope('e2', 1))).toBe('gap')
    expect(gate.lastEventId).toBe('e1:4')
  })

  it('resumes from the tagged position of the last envelope it delivered', () => {
    const gate = new EnvelopeGate('e1:41:k3f9x2p0q1')
    expect(gate.lastEventId).toBe('e1:41:k3f9x2p0q1')
    expect(gate.decide({ ...progressEnvelope('e1', 42), tag: 'a1b2c3d4e5' })).toBe('deliver')
    expect(gate.lastEventId).toBe('e1:42:a1b2c3d4e5')
    // An envelope from a store without tags resumes by epoch and seq alone.
    expect(gate.decide(progressEnvelope('e1', 43))).toBe('deliver')
    expect(gate.lastEventId).toBe('e1:43')
    expect(new EnvelopeGate('e1:7:NOT-A-TAG').lastEventId).toBeUndefined()
  })
})

function streamOf(...chunks: string[]): typeof fetch {
  return (async () =>
    new Response(
      new ReadableStream({
        start(controller) {
          for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk))
        },
      }),
      { headers: { 'Content-Type': 'text/event-stream' } },
    )) as unknown as typeof fetch
}

describe('subscription lifecycle', () => {
  it('closes the subscription when a for-await loop breaks early', async () => {
    const fetch = vi.fn(
      streamOf(sseMessage(snapshotEnvelope('e', 0)), sseMessage(progressEnvelope('e', 1))),
    )
    const subscription = subscribeProgress('http://x/stream', { fetch })
    for await (const envelope of subscription) {
      expect(envelope.type).toBe('snapshot')
      break
    }
    expect(subscription.status).toBe('closed')
    await expect(subscription.done).rejects.toMatchObject({ name: 'AbortError' })
    expect(fetch).toHaveBeenCalledTimes(1)
  })

  it('keeps the terminal envelope when onEvent throws, and rethrows the error unswallowed', async () => {
    const rethrown: (() => void)[] = []
    const spy = vi.spyOn(globalThis, 'queueMicrotask').mockImplementation((task) => {
      rethrown.push(task)
    })
    try {
      const fetch = streamOf(
        sseMessage(snapshotEnvelope('e', 0)),
        sseMessage(completeEnvelope('e', 1)),
      )
      const subscription = subscribeProgress('http://x/stream', {
        fetch,
        onEvent: (envelope) => {
          if (envelope.type === 'complete') throw new Error('render bug')
        },
      })
      const seen: string[] = []
      for await (const envelope of subscription) seen.push(envelope.type)
      expect(seen).toEqual(['snapshot', 'complete'])
      await expect(subscription.done).resolves.toMatchObject({ type: 'complete', seq: 1 })
      expect(
        rethrown.some((task) => {
          try {
            task()
            return false
          } catch (error) {
            return (error as Error).message === 'render bug'
          }
        }),
      ).toBe(true)
    } finally {
      spy.mockRestore()
    }
  })

  it("removes its listener from the caller's AbortSignal when it ends", async () => {
    const shared = new AbortController()
    for (let i = 0; i < 3; i++) {
      const fetch = streamOf(sseMessage(completeEnvelope('e', 1)))
      await subscribeProgress('http://x/stream', { fetch, signal: shared.signal }).done
    }
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(0)
  })
})

describe('stable connections (fake timers)', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('resets the backoff after a stable connection that ends with a network error', async () => {
    const calls: number[] = []
    const fetch = (async () => {
      calls.push(Date.now())
      const body = new ReadableStream<Uint8Array>({
        async start(controller) {
          await new Promise((resolve) => setTimeout(resolve, 1_000))
          controller.error(new TypeError('terminated'))
        },
      })
      return new Response(body, { headers: { 'Content-Type': 'text/event-stream' } })
    }) as unknown as typeof globalThis.fetch
    const subscription = subscribeProgress('http://x/stream', {
      fetch,
      random: () => 0.5,
      stableAfterMs: 500,
      backoff: { initialMs: 100, maxMs: 100_000 },
    })
    await vi.advanceTimersByTimeAsync(6_000)
    subscription.close()
    const gaps = calls.slice(1).map((at, i) => at - (calls[i] as number))
    // Each connection lived 1,000 ms (stable), so every wait is the first one: 50 ms.
    expect(gaps.slice(0, 4)).toEqual([1_050, 1_050, 1_050, 1_050])
  })
})

// A server that answers a client holding the terminal by sending that terminal again (as
// createProgressStream does, where createProgressStreamServer answers 204).
it('ends with the terminal it already held when the server replays it, after one request', async () => {
  const requests: (string | null)[] = []
  const fetch = (async (_url: string, init: RequestInit) => {
    requests.push(new Headers(init.headers).get('last-event-id'))
    return new Response(`retry: 2000\n\n${sseMessage(completeEnvelope('e1', 3))}`, {
      headers: { 'Content-Type': 'text/event-stream' },
    })
  }) as unknown as typeof globalThis.fetch
  const delivered: unknown[] = []
  const subscription = subscribeProgress('http://x/stream', {
    fetch,
    lastEventId: 'e1:3',
    onEvent: (envelope) => delivered.push(envelope),
  })
  await expect(subscription.done).resolves.toMatchObject({ type: 'complete', seq: 3 })
  expect(requests).toEqual(['e1:3'])
  // Delivered before this subscription began: exactly once means not again.
  expect(delivered).toEqual([])
})
