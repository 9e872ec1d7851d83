import type { EnvelopeRecorder } from '@docspasta/progress-testing'
import { expect } from 'vitest'

/** Figures of one subscriber's stream, for assertions and for the closing note. */
export interface StreamFigures {
  received: number
  duplicates: number
  gaps: number
  outOfOrder: number
}

export function streamFigures(recorder: EnvelopeRecorder, lastSeq: number): StreamFigures {
  const seqs = recorder.seqs
  const seen = new Set<number>()
  let duplicates = 0
  let outOfOrder = 0
  for (const [index, seq] of seqs.entries()) {
    if (seen.has(seq)) duplicates += 1
    seen.add(seq)
    if (index > 0 && seq <= (seqs[index - 1] as number)) outOfOrder += 1
  }
  let gaps = 0
  for (let seq = 1; seq <= lastSeq; seq++) if (!seen.has(seq)) gaps += 1
  return { received: seqs.length, duplicates, gaps, outOfOrder }
}

/** Every seq from 1 to lastSeq exactly once and in order. */
export function expectEverySeqOnce(recorder: EnvelopeRecorder, lastSeq: number): StreamFigures {
  const figures = streamFigures(recorder, lastSeq)
  expect(figures).toEqual({ received: lastSeq, duplicates: 0, gaps: 0, outOfOrder: 0 })
  return figures
}
