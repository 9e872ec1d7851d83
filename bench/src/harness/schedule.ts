// The publish schedule every server kind is fed: `crawls` crawls, each publishing `ratePerSecond`
// events, spread evenly so that event `seq` of crawl `c` is due at
//   t0 + ((seq - 1) × crawls + c) × slotMs,   slotMs = 1000 / (ratePerSecond × crawls).
// The publisher walks the global index g = (seq - 1) × crawls + c in order, so each crawl's events
// come in seq order, and a client can tell from (crawl, seq) alone when an event was due.

export interface PublishSchedule {
  t0: number
  crawls: number
  ratePerSecond: number
}

export function slotMs(schedule: PublishSchedule): number {
  return 1000 / (schedule.ratePerSecond * schedule.crawls)
}

/** When event `seq` (1-based) of crawl `crawl` (0-based) was due, in epoch ms. */
export function scheduledAt(schedule: PublishSchedule, crawl: number, seq: number): number {
  return schedule.t0 + ((seq - 1) * schedule.crawls + crawl) * slotMs(schedule)
}

/** How many events were due by `now` (over all crawls). */
export function dueBy(schedule: PublishSchedule, now: number): number {
  if (now < schedule.t0) return 0
  return Math.floor((now - schedule.t0) / slotMs(schedule)) + 1
}

/** The crawl ids of one run: unique per run so that runs never share state. */
export function crawlIds(runTag: string, crawls: number): string[] {
  return Array.from({ length: crawls }, (_, index) => `bench-${runTag}-${index}`)
}
