import { MAX_TOTAL } from '@docspasta/progress-protocol'
import type { ProgressDelta, ProgressDetail, ProgressInput } from '../events.js'
import { totalsOverflowError } from '../validate.js'

/** One input of a drained batch, with the number of reporter calls it stands for. */
export interface WeightedInput {
  input: ProgressInput
  calls: number
}

/** A call that came with a detail, kept on an input of its own while it is recent enough. */
interface DetailedCall {
  delta: ProgressDelta
  detail: ProgressDetail
}

/**
 * What a reporter accumulated since its last flush: urls, counts and the most recent details.
 * Plain counts are two numbers, so a processed() or failed() without detail allocates nothing.
 * Inputs are validated by the caller; this class checks only that its sums stay exact.
 */
export class PendingProgress {
  readonly #maxDetails: number
  #urls: string[] = []
  /** Counts not on a kept detail: plain calls and the calls whose detail was dropped. */
  #processed = 0
  #failed = 0
  /** Reporter calls summed into the counts above. */
  #summedCalls = 0
  /** Sums of everything pending, summary and details alike, to refuse a total past MAX_TOTAL. */
  #processedTotal = 0
  #failedTotal = 0
  /** A ring of the most recent detailed calls, oldest at `#head`. */
  readonly #details: (DetailedCall | undefined)[]
  #head = 0
  #detailCount = 0
  /** The latest phase among dropped details: the job's phase must survive the drop. */
  #droppedPhase: string | undefined
  /** Calls (and urls) accumulated: what `maxPending` is compared with. */
  calls = 0

  constructor(maxDetails: number) {
    this.#maxDetails = maxDetails
    this.#details = new Array(maxDetails)
  }

  addUrls(urls: readonly string[]): void {
    for (const url of urls) this.#urls.push(url)
    this.calls += urls.length
  }

  addProcessed(count: number): void {
    this.#checkProcessed(count)
    this.#processed += count
    this.#processedTotal += count
    this.#summedCalls += 1
    this.calls += 1
  }

  addFailed(count: number): void {
    this.#checkFailed(count)
    this.#failed += count
    this.#failedTotal += count
    this.#summedCalls += 1
    this.calls += 1
  }

  /** A call with a detail: `delta` is that call's own (empty for a phase change). */
  addDetailed(delta: ProgressDelta, detail: ProgressDetail): void {
    const processed = delta.processed ?? 0
    const failed = delta.failed ?? 0
    this.#checkProcessed(processed)
    this.#checkFailed(failed)
    this.#processedTotal += processed
    this.#failedTotal += failed
    this.calls += 1
    if (this.#maxDetails === 0) {
      this.#drop(delta, detail)
      return
    }
    if (this.#detailCount < this.#maxDetails) {
      this.#details[(this.#head + this.#detailCount) % this.#maxDetails] = { delta, detail }
      this.#detailCount += 1
      return
    }
    // Full: the oldest detail goes, its counts and phase stay.
    const oldest = this.#details[this.#head] as DetailedCall
    this.#drop(oldest.delta, oldest.detail)
    this.#details[this.#head] = { delta, detail }
    this.#head = (this.#head + 1) % this.#maxDetails
  }

  /**
   * Empties the accumulator into inputs, in this order: discovered urls (one input, split later
   * by size), the summed counts without detail, the latest dropped phase unless a kept detail
   * sets a newer one, then each kept detail with its own delta. Their deltas sum exactly to
   * what was reported. Calls that left nothing to send (a dropped detail with no count and no
   * phase) are not on any input.
   */
  drain(): WeightedInput[] {
    const inputs: WeightedInput[] = []
    if (this.#urls.length > 0) {
      inputs.push({ input: { type: 'discovery', urls: this.#urls }, calls: this.#urls.length })
    }
    let unassigned = this.#summedCalls
    if (this.#processed > 0 || this.#failed > 0) {
      const delta: ProgressDelta = {}
      if (this.#processed > 0) delta.processed = this.#processed
      if (this.#failed > 0) delta.failed = this.#failed
      inputs.push({ input: { type: 'progress', delta }, calls: unassigned })
      unassigned = 0
    }
    const kept: DetailedCall[] = []
    let keptPhase = false
    for (let i = 0; i < this.#detailCount; i++) {
      const call = this.#details[(this.#head + i) % this.#maxDetails] as DetailedCall
      kept.push(call)
      if (call.detail.phase !== undefined) keptPhase = true
    }
    if (this.#droppedPhase !== undefined && !keptPhase) {
      inputs.push({
        input: { type: 'progress', delta: {}, detail: { phase: this.#droppedPhase } },
        calls: unassigned,
      })
    }
    for (const call of kept) {
      inputs.push({ input: { type: 'progress', delta: call.delta, detail: call.detail }, calls: 1 })
    }
    this.#reset()
    return inputs
  }

  #drop(delta: ProgressDelta, detail: ProgressDetail): void {
    this.#processed += delta.processed ?? 0
    this.#failed += delta.failed ?? 0
    this.#summedCalls += 1
    if (detail.phase !== undefined) this.#droppedPhase = detail.phase
  }

  #reset(): void {
    this.#urls = []
    this.#processed = 0
    this.#failed = 0
    this.#summedCalls = 0
    this.#processedTotal = 0
    this.#failedTotal = 0
    this.#details.fill(undefined)
    this.#head = 0
    this.#detailCount = 0
    this.#droppedPhase = undefined
    this.calls = 0
  }

  // A sum past MAX_TOTAL would no longer be exact; the store would refuse it anyway.
  #checkProcessed(count: number): void {
    if (count > MAX_TOTAL - this.#processedTotal) throw totalsOverflowError('processed')
  }

  #checkFailed(count: number): void {
    if (count > MAX_TOTAL - this.#failedTotal) throw totalsOverflowError('failed')
  }
}
