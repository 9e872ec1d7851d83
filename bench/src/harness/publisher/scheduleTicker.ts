import { waitFor } from '../process/waitFor.js'
import { dueBy, type PublishSchedule, slotMs } from '../schedule.js'

/** Publishes one event for a crawl: synchronous (bare, better-sse) or a promise (the SDK). */
export type PublishOne = (crawl: number) => undefined | Promise<unknown>

export interface TickerSample {
  published: number
  due: number
  errors: number
}

export interface TickerResult extends TickerSample {
  /** Events published per crawl: the last seq each crawl reached. */
  publishedPerCrawl: number[]
  firstError: string | undefined
}

/**
 * Publishes every event whose scheduled time has come, per crawl in order. A crawl whose previous
 * publish has not resolved yet keeps its due events pending (so an async backend never has two
 * publishes of one crawl in flight and seqs stay in schedule order); the backlog shows up as a
 * lower achieved publish rate and as lag behind the schedule.
 */
export class ScheduleTicker {
  private readonly perCrawl: number[]
  private readonly pending: number[]
  private readonly inFlight: boolean[]
  private nextIndex = 0
  private published = 0
  private errors = 0
  private firstError: string | undefined
  private timer: NodeJS.Timeout | undefined
  private stopped = false
  private inFlightCount = 0

  constructor(
    private readonly schedule: PublishSchedule,
    private readonly publishOne: PublishOne,
  ) {
    this.perCrawl = new Array<number>(schedule.crawls).fill(0)
    this.pending = new Array<number>(schedule.crawls).fill(0)
    this.inFlight = new Array<boolean>(schedule.crawls).fill(false)
  }

  start(): void {
    this.arm()
  }

  /** `due` counts from the clock, not from the ticks, so a stalled event loop shows as a deficit. */
  sample(): TickerSample {
    const due = this.stopped ? this.nextIndex : dueBy(this.schedule, Date.now())
    return { published: this.published, due, errors: this.errors }
  }

  /** Stops scheduling, waits (bounded) for publishes in flight, and reports what was published. */
  async stop(): Promise<TickerResult> {
    this.stopped = true
    clearTimeout(this.timer)
    this.pending.fill(0)
    await waitFor(() => this.inFlightCount === 0, 10_000)
    return {
      ...this.sample(),
      publishedPerCrawl: [...this.perCrawl],
      firstError: this.firstError,
    }
  }

  private arm(): void {
    if (this.stopped) return
    const nextDue = this.schedule.t0 + this.nextIndex * slotMs(this.schedule)
    const delay = Math.max(1, Math.ceil(nextDue - Date.now()))
    this.timer = setTimeout(() => this.tick(), delay)
  }

  private tick(): void {
    const now = Date.now()
    const { crawls } = this.schedule
    const slot = slotMs(this.schedule)
    while (this.schedule.t0 + this.nextIndex * slot <= now) {
      const crawl = this.nextIndex % crawls
      this.nextIndex += 1
      if (this.inFlight[crawl]) this.pending[crawl] = (this.pending[crawl] ?? 0) + 1
      else this.fire(crawl)
    }
    this.arm()
  }

  private fire(crawl: number): void {
    let outcome: undefined | Promise<unknown>
    try {
      outcome = this.publishOne(crawl)
    } catch (error) {
      this.fail(error)
      return
    }
    if (outcome === undefined) {
      this.done(crawl)
      return
    }
    this.inFlight[crawl] = true
    this.inFlightCount += 1
    outcome.then(
      () => this.settle(crawl, true),
      (error: unknown) => {
        this.fail(error)
        this.settle(crawl, false)
      },
    )
  }

  private settle(crawl: number, ok: boolean): void {
    this.inFlight[crawl] = false
    this.inFlightCount -= 1
    if (ok) this.done(crawl)
    if (!this.stopped && (this.pending[crawl] ?? 0) > 0) {
      this.pending[crawl] = (this.pending[crawl] ?? 0) - 1
      this.fire(crawl)
    }
  }

  private done(crawl: number): void {
    this.published += 1
    this.perCrawl[crawl] = (this.perCrawl[crawl] ?? 0) + 1
  }

  private fail(error: unknown): void {
    this.errors += 1
    this.firstError ??= error instanceof Error ? error.message : String(error)
  }
}
