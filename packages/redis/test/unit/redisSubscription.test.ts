import type { EventEnvelope, ProgressEnvelope } from '@docspasta/progress-core'
import { describe, expect, it } from 'vitest'
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

function subscription(store: CrawlStore, seen: ProgressEnvelope[]) {
  return new RedisSubscription({
    crawlId: 'c',
    keys: createKeyBuilder()('c'),
    store,
    handler: (e) => seen.push(e),
    onClosed: () => {},
  })
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
