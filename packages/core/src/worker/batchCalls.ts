import { PROGRESS_LIMITS } from '@docspasta/progress-protocol'
import { jsonByteLength, type ProgressInput } from '../events.js'
import { DELTA_MAX_BYTES, DETAIL_FIELD_BYTES } from '../validate.js'
import type { WeightedInput } from './pendingProgress.js'

/** The inputs of one publishBatch() call, with the number of reporter calls they stand for. */
export interface BatchCall {
  inputs: ProgressInput[]
  calls: number
}

/**
 * Splits drained inputs into publishBatch() calls, in order, that each store accepts whole:
 * urls in discovery inputs of at most `urlsPerDiscovery` urls and `envelopeMaxBytes` each, and
 * calls of at most `batchMaxInputs` inputs and `batchMaxBytes`, measured as measureInputs() does.
 */
export function planBatchCalls(crawlId: string, drained: readonly WeightedInput[]): BatchCall[] {
  const frame = PROGRESS_LIMITS.envelopeFrameMaxBytes + crawlId.length
  const calls: BatchCall[] = []
  let current: BatchCall | undefined
  let currentBytes = 0

  const add = (input: ProgressInput, bytes: number, weight: number): void => {
    const full =
      current === undefined ||
      current.inputs.length === PROGRESS_LIMITS.batchMaxInputs ||
      currentBytes + bytes > PROGRESS_LIMITS.batchMaxBytes
    if (full) {
      current = { inputs: [], calls: 0 }
      currentBytes = 0
      calls.push(current)
    }
    const call = current as BatchCall
    call.inputs.push(input)
    call.calls += weight
    currentBytes += bytes
  }

  for (const { input, calls: weight } of drained) {
    if (input.type === 'discovery') {
      addDiscoveryChunks(input.urls, frame, add)
    } else if (input.type === 'progress') {
      // measureInputs()'s own measure, so that a planned call is never refused.
      const detailBytes =
        input.detail === undefined ? 0 : DETAIL_FIELD_BYTES + jsonByteLength(input.detail)
      add(input, frame + DELTA_MAX_BYTES + detailBytes, weight)
    }
  }
  return calls
}

/** Cuts urls into discovery inputs by count and by the bytes of their JSON array. */
function addDiscoveryChunks(
  urls: readonly string[],
  frame: number,
  add: (input: ProgressInput, bytes: number, weight: number) => void,
): void {
  const { urlsPerDiscovery, envelopeMaxBytes } = PROGRESS_LIMITS
  let chunk: string[] = []
  // `[]` and the frame; each url adds its JSON and, after the first, a comma.
  let bytes = frame + 2
  for (const url of urls) {
    const urlBytes = jsonByteLength(url) + (chunk.length > 0 ? 1 : 0)
    if (chunk.length === urlsPerDiscovery || bytes + urlBytes > envelopeMaxBytes) {
      add({ type: 'discovery', urls: chunk }, bytes, chunk.length)
      chunk = []
      bytes = frame + 2
      bytes += jsonByteLength(url)
    } else {
      bytes += urlBytes
    }
    chunk.push(url)
  }
  if (chunk.length > 0) add({ type: 'discovery', urls: chunk }, bytes, chunk.length)
}
