import type { ProgressDetail, ProgressEnvelope } from '@docspasta/progress-core'
import { describe, expect, it } from 'vitest'
import { OutboundQueue } from '../../src/sse/outboundQueue.js'
import { encodeEnvelope } from '../../src/sse/sseEncoding.js'

const base = { v: 1 as const, epoch: 'e', crawlId: 'c', ts: 0 }
const totals = (n: number) => ({ discovered: n, processed: n, failed: 0 })
const progress = (seq: number): ProgressEnvelope => ({
  ...base,
  seq,
  type: 'progress',
  totals: totals(seq),
  delta: { processed: 1 },
})
const discovery = (seq: number): ProgressEnvelope => ({
  ...base,
  seq,
  type: 'discovery',
  totals: totals(seq),
  urls: [`https://x/${seq}`],
})

const parse = (bytes: Uint8Array) =>
  new TextDecoder()
    .decode(bytes)
    .split('\n')
    .filter((line) => line.startsWith('data: '))
    .map((line) => JSON.parse(line.slice(6)) as ProgressEnvelope)

describe('OutboundQueue', () => {
  it('passes envelopes through unchanged below the soft limit', () => {
    const queue = new OutboundQueue(64 * 1024, encodeEnvelope)
    for (const e of [progress(1), discovery(2)]) queue.push(e, encodeEnvelope(e))
    expect(parse(queue.take())).toEqual([progress(1), discovery(2)])
    expect(queue.isEmpty).toBe(true)
    expect(queue.bytes).toBe(0)
  })

  it('coalesces progress into the newest and merges discovery past the soft limit, keeping order and the terminal (no backpressure)', () => {
    const queue = new OutboundQueue(1_000, encodeEnvelope)
    const snapshot: ProgressEnvelope = {
      ...base,
      seq: 0,
      type: 'snapshot',
      status: 'running',
      totals: totals(0),
    }
    queue.push(snapshot, encodeEnvelope(snapshot))
    for (let seq = 1; seq <= 60; seq++) {
      const e = seq % 3 === 0 ? discovery(seq) : progress(seq)
      queue.push(e, encodeEnvelope(e))
    }
    const terminal: ProgressEnvelope = {
      ...base,
      seq: 61,
      type: 'complete',
      totals: totals(60),
      stats: {},
    }
    queue.push(terminal, encodeEnvelope(terminal))
    expect(queue.bytes).toBeLessThan(2_000)
    const sent = parse(queue.take())
    // Far fewer envelopes, still in seq order, snapshot first and the terminal last.
    expect(sent.length).toBeLessThan(12)
    expect(sent[0]).toEqual(snapshot)
    expect(sent.at(-1)).toEqual(terminal)
    const seqs = sent.map((e) => e.seq)
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
    // Totals are absolute: the last state before the terminal is the newest one published.
    expect(sent.at(-2)?.totals).toEqual(totals(60))
    // Resume-safe: a client that stops after any sent id has every url discovered up to it.
    const received = new Set<string>()
    for (const e of sent) {
      if (e.type === 'discovery') for (const url of e.urls) received.add(url)
      for (let seq = 3; seq <= e.seq; seq += 3) expect(received.has(`https://x/${seq}`)).toBe(true)
    }
    expect(received.size).toBe(20)
    expect(sent.some((e) => 'coalesced' in e && e.coalesced === true)).toBe(true)
  })

  it('never puts merged urls behind a higher seq (P1 D2 P3 D4 → D4 with both urls, no P3)', () => {
    const run = [progress(1), discovery(2), progress(3), discovery(4)]
    const sizes = run.map((e) => encodeEnvelope(e).byteLength)
    // Compacts exactly when the fourth arrives.
    const queue = new OutboundQueue(sizes[0]! + sizes[1]! + sizes[2]!, encodeEnvelope)
    for (const e of run) queue.push(e, encodeEnvelope(e))
    expect(parse(queue.take())).toEqual([
      { ...discovery(4), urls: ['https://x/2', 'https://x/4'], coalesced: true },
    ])
    const later = [discovery(5), progress(6), progress(7), progress(8)]
    const laterQueue = new OutboundQueue(
      later.slice(0, 3).reduce((sum, e) => sum + encodeEnvelope(e).byteLength, 0),
      encodeEnvelope,
    )
    for (const e of later) laterQueue.push(e, encodeEnvelope(e))
    expect(parse(laterQueue.take())).toEqual([
      { ...discovery(5), coalesced: true },
      { ...progress(8), delta: { processed: 3 }, coalesced: true },
    ])
  })

  it('keeps the newest envelope’s own detail on a coalesced progress envelope, and the run’s latest phase', () => {
    const withDetail = (seq: number, detail: ProgressDetail) =>
      ({ ...progress(seq), detail }) as ProgressEnvelope
    /** Compacts exactly when the last envelope arrives, as one run. */
    const compacted = (run: ProgressEnvelope[]) => {
      const limit = run.slice(0, -1).reduce((sum, e) => sum + encodeEnvelope(e).byteLength, 0)
      const queue = new OutboundQueue(limit, encodeEnvelope)
      for (const e of run) queue.push(e, encodeEnvelope(e))
      return parse(queue.take())
    }
    const older: ProgressDetail = {
      url: 'https://x/1',
      outcome: 'failed',
      message: 'timeout',
      phase: 'fetch',
    }
    const newest: ProgressDetail = { url: 'https://x/ü/3', outcome: 'processed', message: '😀' }
    // The newest has none: no older page rides along with the merged delta, only the phase.
    const bare = compacted([progress(1), progress(2), progress(3)])
    expect(bare).toEqual([{ ...progress(3), delta: { processed: 3 }, coalesced: true }])
    expect(bare[0]).not.toHaveProperty('detail')
    expect(compacted([withDetail(1, older), progress(2), progress(3)])).toEqual([
      { ...progress(3), delta: { processed: 3 }, detail: { phase: 'fetch' }, coalesced: true },
    ])
    // The newest has one: its own page, with the run's latest phase.
    expect(compacted([withDetail(1, older), progress(2), withDetail(3, newest)])).toEqual([
      {
        ...progress(3),
        delta: { processed: 3 },
        detail: { ...newest, phase: 'fetch' },
        coalesced: true,
      },
    ])
    // Progress before a discovery is superseded with its page, not its phase; a newer phase wins.
    expect(compacted([withDetail(1, older), discovery(2), withDetail(3, { url: 'u' })])).toEqual([
      { ...discovery(2), coalesced: true },
      { ...progress(3), detail: { url: 'u', phase: 'fetch' }, coalesced: true },
    ])
    expect(compacted([withDetail(1, older), discovery(2), withDetail(3, { phase: 'p' })])).toEqual([
      { ...discovery(2), coalesced: true },
      { ...progress(3), detail: { phase: 'p' }, coalesced: true },
    ])
  })

  it('collapses a backlog into one resync snapshot, keeping the terminal', () => {
    const queue = new OutboundQueue(64 * 1024, encodeEnvelope)
    for (const e of [progress(1), discovery(2)]) queue.push(e, encodeEnvelope(e))
    const terminal: ProgressEnvelope = {
      ...base,
      seq: 3,
      type: 'complete',
      totals: totals(2),
      stats: {},
    }
    queue.push(terminal, encodeEnvelope(terminal))
    queue.collapseToSnapshot()
    expect(parse(queue.take())).toEqual([
      { ...base, seq: 2, type: 'snapshot', status: 'running', resync: true, totals: totals(2) },
      terminal,
    ])
  })
})
