// Latencies are counted in buckets rather than stored, so a client can record 100k samples a
// second and ship its whole distribution to the runner in one small message. Buckets are 0.1 ms
// wide up to 100 ms and 2 % wide above, which is finer than the clock (ms timestamps) anyway.
const LINEAR_LIMIT_MS = 100
const LINEAR_STEP_MS = 0.1
const LINEAR_BUCKETS = LINEAR_LIMIT_MS / LINEAR_STEP_MS
const LOG_BASE = 1.02
const LOG_BUCKETS = 600 // up to 100 ms × 1.02^600 ≈ 1.5e7 ms

export interface HistogramData {
  counts: number[]
  count: number
  max: number
}

function bucketOf(ms: number): number {
  if (ms < LINEAR_LIMIT_MS) return Math.max(0, Math.floor(ms / LINEAR_STEP_MS))
  const index = Math.floor(Math.log(ms / LINEAR_LIMIT_MS) / Math.log(LOG_BASE))
  return LINEAR_BUCKETS + Math.min(LOG_BUCKETS - 1, index)
}

/** The upper edge of a bucket: a percentile is reported as at most this. */
function upperEdgeOf(bucket: number): number {
  if (bucket < LINEAR_BUCKETS) return (bucket + 1) * LINEAR_STEP_MS
  return LINEAR_LIMIT_MS * LOG_BASE ** (bucket - LINEAR_BUCKETS + 1)
}

export class LatencyHistogram {
  private counts = new Array<number>(LINEAR_BUCKETS + LOG_BUCKETS).fill(0)
  private total = 0
  private maximum = 0

  record(ms: number): void {
    const bucket = bucketOf(ms)
    this.counts[bucket] = (this.counts[bucket] ?? 0) + 1
    this.total += 1
    if (ms > this.maximum) this.maximum = ms
  }

  add(data: HistogramData): void {
    data.counts.forEach((count, bucket) => {
      this.counts[bucket] = (this.counts[bucket] ?? 0) + count
    })
    this.total += data.count
    this.maximum = Math.max(this.maximum, data.max)
  }

  get count(): number {
    return this.total
  }

  get max(): number {
    return this.maximum
  }

  /** The value at or below which `fraction` of the samples are; NaN without samples. */
  percentile(fraction: number): number {
    if (this.total === 0) return Number.NaN
    const rank = Math.ceil(fraction * this.total)
    let seen = 0
    for (let bucket = 0; bucket < this.counts.length; bucket++) {
      seen += this.counts[bucket] ?? 0
      if (seen >= rank) return Math.min(upperEdgeOf(bucket), this.maximum)
    }
    return this.maximum
  }

  toData(): HistogramData {
    return { counts: [...this.counts], count: this.total, max: this.maximum }
  }
}
