import type { EventEnvelope, ProgressEnvelope, ProgressError } from '@docspasta/progress-core'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { CrawlRead, CrawlStore } from '../../src/crawlStore.js'
import { createKeyBuilder } from '../../src/keys.js'
import { RedisSubscription } from '../../src/redisSubscription.js'

// Pure logic of one subscription, with an in-memory stand-in for the store's atomic read: how
// live messages, buffered messages and history reads meet. Redis itself is proven elsewhere.
const envelope = (seq: number, epoch = 'e1'): EventEnvelope => ({
  v: 1,
  epoch,
  seq,
  crawlId: 'c',
  ts: 0,
  type: 'progress',
  totals: { discovered: 0, processed: seq, failed: 0 },
  delta: { processed: 1 },
})

function storeWithHistory(history: EventEnvelope[], reads: number[]) {
  const read = async (_id: string, _keys: unknown, afterSeq: number): Promise<CrawlRead> => {
    reads.push(afterSeq)
    const seq = history.at(-1)?.seq ?? 0
    return {
      snapshot: {
        crawlId: 'c',
        epoch: history.at(-1)?.epoch ?? 'e1',
        status: 'running',
        seq,
        totals: { discovered: 0, processed: seq, failed: 0 },
        startedAt: 0,
        updatedAt: 0,
        terminal: null,
      },
      oldestSeq: history[0]?.seq ?? seq + 1,
      envelopes: history.filter((e) => e.seq > afterSeq),
      storedTag: history.find((e) => e.seq === afterSeq)?.tag,
    }
  }
  return { read } as unknown as CrawlStore
}

function subscription(
  store: CrawlStore,
  seen: ProgressEnvelope[],
  more: { onError?: (error: ProgressError) => void; retryReadsForMs?: number } = {},
) {
  return new RedisSubscription({
    crawlId: 'c',
    keys: createKeyBuilder()('c'),
    store,
    handler: (e) => seen.push(e),
    onError: more.onError,
    onClosed: () => {},
    retryReadsForMs: more.retryReadsForMs ?? 1_000,
  })
}

/** A store whose next `failuresLeft` reads fail (a cluster settling), then answer from history. */
function flakyStore(history: EventEnvelope[]) {
  const inner = storeWithHistory(history, [])
  const state = { failuresLeft: 0, failed: 0 }
  const read = async (...args: Parameters<CrawlStore['read']>) => {
    if (state.failuresLeft > 0) {
      state.failuresLeft -= 1
      state.failed += 1
      throw new Error('CLUSTERDOWN The cluster is down')
    }
    return inner.read(...args)
  }
  return { store: { read } as unknown as CrawlStore, state }
}

describe('RedisSubscription', () => {
  it('fills a hole from history when a live envelope skips ahead', async () => {
    const history = [1, 2].map((seq) => envelope(seq))
    const reads: number[] = []
    const seen: ProgressEnvelope[] = []
    const sub = subscription(storeWithHistory(history, reads), seen)
    await sub.start({ afterSeq: 0, epoch: 'e1' })
    expect(seen.map((e) => e.seq)).toEqual([1, 2])

    history.push(envelope(3), envelope(4), envelope(5))
    sub.onEnvelopes([envelope(5)])
    await expect.poll(() => seen.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5])
    expect(reads).toEqual([0, 2])
  })

  it('holds live envelopes that arrive before start() (while SUBSCRIBE is acknowledged)', async () => {
    const history = [1, 2, 3].map((seq) => envelope(seq))
    const reads: number[] = []
    const seen: ProgressEnvelope[] = []
    const sub = subscription(storeWithHistory(history, reads), seen)
    sub.onEnvelopes([envelope(3)])
    expect(reads).toEqual([])
    history.push(envelope(4))
    await sub.start({ afterSeq: 1, epoch: 'e1' })
    expect(seen.map((e) => e.seq)).toEqual([2, 3, 4])
    expect(reads).toEqual([1])
  })

  it('drops live envelopes that the history read already delivered', async () => {
    const history = [1, 2, 3].map((seq) => envelope(seq))
    const reads: number[] = []
    const seen: ProgressEnvelope[] = []
    const store = storeWithHistory(history, reads)
    const sub = subscription(store, seen)
    const starting = sub.start({ afterSeq: 1, epoch: 'e1' })
    // Arrives while the history read is in flight: held, then deduplicated by seq.
    sub.onEnvelopes([envelope(3)])
    await starting
    sub.onEnvelopes([envelope(4)])
    expect(seen.map((e) => e.seq)).toEqual([2, 3, 4])
    expect(reads).toEqual([1])
  })

  describe('a re-read that fails', () => {
    beforeEach(() => {
      vi.useFakeTimers()
    })
    afterEach(() => {
      vi.useRealTimers()
    })

    it('is retried within retryReadsForMs, and the subscription carries on', async () => {
      const history = [1, 2].map((seq) => envelope(seq))
      const seen: ProgressEnvelope[] = []
      const errors: ProgressError[] = []
      const { store, state } = flakyStore(history)
      const sub = subscription(store, seen, { onError: (e) => errors.push(e) })
      await sub.start({ afterSeq: 0, epoch: 'e1' })
      history.push(envelope(3))
      state.failuresLeft = 3
      sub.onReconnected()
      // Fails at 0, 20 and 60 ms; the fourth read, at 140 ms, succeeds.
      await vi.advanceTimersByTimeAsync(200)
      expect(state.failed).toBe(3)
      expect(seen.map((e) => e.seq)).toEqual([1, 2, 3])
      expect(errors).toEqual([])
      expect(sub.isRetrying).toBe(false)
    })

    it('ends the subscription with backend-failure once retryReadsForMs has passed', async () => {
      const { store, state } = flakyStore([envelope(1)])
      const errors: ProgressError[] = []
      const sub = subscription(store, [], { onError: (e) => errors.push(e), retryReadsForMs: 100 })
      await sub.start({ afterSeq: 0, epoch: 'e1' })
      state.failuresLeft = 1_000
      sub.onReconnected()
      await vi.advanceTimersByTimeAsync(50)
      expect(sub.isRetrying).toBe(true)
      await vi.advanceTimersByTimeAsync(200)
      expect(errors).toMatchObject([{ code: 'backend-failure' }])
      expect(sub.closed).toBe(true)
      expect(sub.isRetrying).toBe(false)
    })

    it('stops retrying when unsubscribed', async () => {
      const { store, state } = flakyStore([envelope(1)])
      const sub = subscription(store, [])
      await sub.start({ afterSeq: 0, epoch: 'e1' })
      state.failuresLeft = 1_000
      sub.onReconnected()
      await vi.advanceTimersByTimeAsync(30)
      expect(sub.isRetrying).toBe(true)
      await sub.unsubscribe()
      expect(sub.isRetrying).toBe(false)
      expect(vi.getTimerCount()).toBe(0)
    })
  })

  it('answers a new epoch with a resync snapshot of that epoch', async () => {
    const history = [1, 2].map((seq) => envelope(seq))
    const seen: ProgressEnvelope[] = []
    const sub = subscription(storeWithHistory(history, []), seen)
    await sub.start({ afterSeq: 0, epoch: 'e1' })
    history.splice(0, history.length, envelope(1, 'e2'))
    sub.onEnvelopes([envelope(1, 'e2')])
    await expect
      .poll(() => seen.at(-1))
      .toMatchObject({ type: 'snapshot', epoch: 'e2', resync: true, seq: 1 })
    expect(seen.map((e) => [e.epoch, e.seq])).toEqual([
      ['e1', 1],
      ['e1', 2],
      ['e2', 1],
    ])
  })
})
