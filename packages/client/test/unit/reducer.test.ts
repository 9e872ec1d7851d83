import type { ProgressEnvelope } from '@docspasta/progress-core'
import { describe, expect, it } from 'vitest'
import { initialProgressState, reduceProgress } from '../../src/index.js'

const base = { v: 1 as const, crawlId: 'c1', ts: 1, epoch: 'e1' }
const totals = (processed: number) => ({ discovered: 10, processed, failed: 0 })
const progress = (seq: number, processed: number, epoch = 'e1'): ProgressEnvelope => ({
  ...base,
  epoch,
  seq,
  type: 'progress',
  totals: totals(processed),
  delta: { processed: 1 },
})

describe('reduceProgress', () => {
  it('applies a snapshot, then envelopes in order', () => {
    let state = reduceProgress(initialProgressState, {
      ...base,
      seq: 4,
      type: 'snapshot',
      status: 'running',
      totals: totals(4),
    })
    expect(state).toMatchObject({ status: 'running', seq: 4, epoch: 'e1', crawlId: 'c1' })
    state = reduceProgress(state, progress(5, 5))
    expect(state.totals.processed).toBe(5)
    expect(initialProgressState.status).toBe('idle')
  })

  it('returns the same state for a duplicate or stale envelope (no ordering)', () => {
    const state = reduceProgress(initialProgressState, progress(7, 7))
    expect(reduceProgress(state, progress(7, 7))).toBe(state)
    expect(reduceProgress(state, progress(3, 3))).toBe(state)
  })

  it('keeps a terminal state terminal within its epoch, and starts over on a new epoch', () => {
    let state = reduceProgress(initialProgressState, progress(1, 1))
    state = reduceProgress(state, {
      ...base,
      seq: 2,
      type: 'error',
      totals: totals(1),
      error: { code: 'boom', message: 'down', retryable: false },
    })
    expect(state).toMatchObject({ status: 'failed', error: { code: 'boom' }, stats: null })
    const after = reduceProgress(state, {
      ...base,
      seq: 3,
      type: 'snapshot',
      status: 'running',
      totals: totals(9),
    })
    expect(after).toBe(state)
    const restarted = reduceProgress(state, progress(1, 1, 'e2'))
    expect(restarted).toMatchObject({ status: 'running', epoch: 'e2', seq: 1, error: null })
  })

  it('records the stats of a completed crawl', () => {
    const state = reduceProgress(initialProgressState, {
      ...base,
      seq: 9,
      type: 'complete',
      totals: totals(8),
      stats: { pages: 8 },
    })
    expect(state).toMatchObject({ status: 'completed', stats: { pages: 8 }, seq: 9 })
  })
})
