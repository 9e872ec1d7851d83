import { type PublishSchedule, scheduledAt } from '../schedule.js'
import { LatencyHistogram } from '../stats/latencyHistogram.js'
import { emptySeqCounts, type SeqCounts } from './seqTracker.js'

/**
 * Everything a client process measures, shared by its connections: frame counts (all the time),
 * latency histograms (inside the measurement window only) and seq accounting (all the time).
 */
export class FrameStats {
  frames = 0
  badFrames = 0
  readonly seq: SeqCounts = emptySeqCounts()
  publishLatency = new LatencyHistogram()
  scheduleLag = new LatencyHistogram()
  private measuring = false
  private schedule: PublishSchedule | undefined

  setSchedule(schedule: PublishSchedule): void {
    this.schedule = schedule
  }

  startWindow(): void {
    this.publishLatency = new LatencyHistogram()
    this.scheduleLag = new LatencyHistogram()
    this.measuring = true
  }

  endWindow(): void {
    this.measuring = false
  }

  /** A live (non-snapshot) envelope of `crawl` received at `receivedAt` (epoch ms). */
  recordLive(crawl: number, seq: number, ts: number, receivedAt: number): void {
    if (!this.measuring) return
    this.publishLatency.record(receivedAt - ts)
    if (this.schedule) this.scheduleLag.record(receivedAt - scheduledAt(this.schedule, crawl, seq))
  }
}
