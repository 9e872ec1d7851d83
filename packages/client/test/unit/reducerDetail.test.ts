import type { ProgressDetail, ProgressEnvelope } from '@docspasta/progress-core'
import { describe, expect, it } from 'vitest'
import {
  initialProgressState,
  type ProgressState,
  RECENT_DETAILS_LIMIT,
  reduceProgress,
} from '../../src/index.js'

const base = { v: 1 as const, crawlId: 'c1', epoch: 'e1' }
const totals = (processed: number) => ({ discovered: 100, processed, failed: 0 })
const progress = (seq: number, detail?: ProgressDetail, epoch = 'e1'): ProgressEnvelope => ({
  ...base,
  epoch,
  seq,
  ts: 1_000 + seq,
  type: 'progress',
  totals: totals(seq),
  delta: { processed: 1 },
  ...(detail ? { detail } : {}),
})
const snapshot = (seq: number, extra: { epoch?: string; resync?: boolean } = {}) =>
  ({
    ...base,
    seq,
    ts: 1_000 + seq,
    type: 'snapshot',
    status: 'running',
    totals: totals(seq),
    ...extra,
  }) as ProgressEnvelope
const reduceAll = (envelopes: ProgressEnvelope[], state: ProgressState = initialProgressState) =>
  envelopes.reduce(reduceProgress, state)

describe('reduceProgress: detail', () => {
  it('starts with no recent details and no phase', () => {
    expect(initialProgressState.recent).toEqual([])
    expect(initialProgressState.phase).toBeNull()
    expect(RECENT_DETAILS_LIMIT).toBe(20)
  })

  it('records url, outcome and message with the seq and ts, newest last', () => {
    const state = reduceAll([
      progress(1, { url: 'https://a/1', outcome: 'processed' }),
      progress(2, { url: 'https://a/2', outcome: 'failed', message: 'HTTP 503' }),
      progress(3, { message: 'ü 😀', phase: 'fetch' }),
    ])
    expect(state.recent).toEqual([
      { seq: 1, ts: 1_001, url: 'https://a/1', outcome: 'processed' },
      { seq: 2, ts: 1_002, url: 'https://a/2', outcome: 'failed', message: 'HTTP 503' },
      { seq: 3, ts: 1_003, message: 'ü 😀' },
    ])
    // Only the fields a detail has: no keys set to undefined, no phase in an entry.
    expect(Object.keys(state.recent[0] ?? {})).toEqual(['seq', 'ts', 'url', 'outcome'])
    expect(state.phase).toBe('fetch')
    // An empty message is still a message.
    expect(reduceProgress(state, progress(4, { message: '' })).recent.at(-1)).toEqual({
      seq: 4,
      ts: 1_004,
      message: '',
    })
  })

  it('keeps only the newest RECENT_DETAILS_LIMIT, oldest dropped first', () => {
    const envelopes = Array.from({ length: 45 }, (_, i) =>
      progress(i + 1, { url: `https://a/${i + 1}` }),
    )
    const states = [initialProgressState]
    for (const envelope of envelopes) {
      const next = reduceProgress(states.at(-1) as ProgressState, envelope)
      expect(next.recent.length).toBe(Math.min(envelope.seq, RECENT_DETAILS_LIMIT))
      expect(next.recent.at(-1)?.seq).toBe(envelope.seq)
      states.push(next)
    }
    const last = states.at(-1) as ProgressState
    expect(last.recent.map((entry) => entry.seq)).toEqual(
      Array.from({ length: RECENT_DETAILS_LIMIT }, (_, i) => 45 - RECENT_DETAILS_LIMIT + 1 + i),
    )
    // Pure: every earlier state kept its own array, unchanged.
    expect(states[5]?.recent.map((entry) => entry.seq)).toEqual([1, 2, 3, 4, 5])
    expect(states[21]?.recent[0]?.seq).toBe(2)
  })

  it('takes the phase of the latest detail that names one; a phase-only detail adds no entry', () => {
    let state = reduceAll([
      progress(1, { phase: 'discover' }),
      progress(2, { url: 'https://a/2' }),
      progress(3),
    ])
    expect(state.phase).toBe('discover')
    expect(state.recent).toEqual([{ seq: 2, ts: 1_002, url: 'https://a/2' }])
    const before = state.recent
    state = reduceProgress(state, progress(4, { phase: 'fetch' }))
    expect(state.phase).toBe('fetch')
    expect(state.recent).toBe(before)
    // A detail with no field at all changes neither.
    state = reduceProgress(state, progress(5, {}))
    expect(state).toMatchObject({ seq: 5, phase: 'fetch' })
    expect(state.recent).toBe(before)
  })

  it('keeps the same recent array for envelopes without a detail', () => {
    const first = reduceAll([progress(1, { url: 'https://a/1', phase: 'fetch' })])
    let state = first
    state = reduceProgress(state, progress(2))
    state = reduceProgress(state, { ...progress(3), coalesced: true } as ProgressEnvelope)
    state = reduceProgress(state, snapshot(3))
    state = reduceProgress(state, {
      ...base,
      seq: 4,
      ts: 1_004,
      type: 'discovery',
      totals: totals(3),
      urls: ['https://a/9'],
    })
    state = reduceProgress(state, {
      ...base,
      seq: 5,
      ts: 1_005,
      type: 'complete',
      totals: totals(3),
      stats: {},
    })
    expect(state).toMatchObject({ status: 'completed', seq: 5, phase: 'fetch' })
    expect(state.recent).toBe(first.recent)
  })

  it('ignores duplicate and stale envelopes, and anything after the terminal', () => {
    const state = reduceAll([
      progress(1, { url: 'https://a/1' }),
      progress(2, { url: 'https://a/2', phase: 'fetch' }),
    ])
    expect(reduceProgress(state, progress(2, { url: 'https://dup', phase: 'x' }))).toBe(state)
    expect(reduceProgress(state, progress(1, { url: 'https://old', phase: 'y' }))).toBe(state)
    const done = reduceProgress(state, {
      ...base,
      seq: 3,
      ts: 1_003,
      type: 'error',
      totals: totals(2),
      error: { code: 'boom', message: 'down', retryable: false },
    })
    expect(done.recent).toBe(state.recent)
    expect(reduceProgress(done, progress(4, { url: 'https://late', phase: 'z' }))).toBe(done)
  })

  it('starts over on a new epoch and on a resync snapshot, not on a snapshot of the same epoch', () => {
    const state = reduceAll([progress(1, { url: 'https://a/1', phase: 'fetch' })])
    // Reconnecting within the epoch: a plain snapshot keeps what was seen.
    const reconnected = reduceProgress(state, snapshot(1))
    expect(reconnected).toMatchObject({ recent: state.recent, phase: 'fetch' })
    // A restart: a new epoch starts with nothing recent and no phase.
    const restarted = reduceProgress(state, progress(1, { phase: 'discover' }, 'e2'))
    expect(restarted).toMatchObject({ epoch: 'e2', recent: [], phase: 'discover' })
    expect(reduceProgress(state, snapshot(0, { epoch: 'e2' }))).toMatchObject({
      epoch: 'e2',
      recent: [],
      phase: null,
    })
    // A resync of the same crawl and epoch starts over too, as for every other field.
    const resynced = reduceProgress(state, snapshot(9, { resync: true }))
    expect(resynced).toMatchObject({ epoch: 'e1', seq: 9, recent: [], phase: null })
    expect(resynced.recent).toBe(initialProgressState.recent)
    const after = reduceProgress(resynced, progress(10, { url: 'https://a/10' }))
    expect(after.recent).toEqual([{ seq: 10, ts: 1_010, url: 'https://a/10' }])
  })

  it('never changes the frozen initial state', () => {
    reduceAll([progress(1, { url: 'https://a/1', phase: 'fetch' })])
    expect(Object.isFrozen(initialProgressState.recent)).toBe(true)
    expect(initialProgressState).toMatchObject({ recent: [], phase: null })
  })
})
