/** What a demo crawl does: how many pages it finds, and whether one of them breaks it. */
export interface CrawlJobSpec {
  crawlId: string
  pages: number
  /** The page whose processing throws a non-retryable error, failing the crawl. */
  failAtPage?: number
}

/** A job a worker claimed: runCrawlJob's `attempt` and `attempts` for this run. */
export interface ClaimedJob {
  spec: CrawlJobSpec
  /**
   * Which run of the job this is, from 1: every claim counts, a handed-over run too, because a
   * run after the first must start the crawl over (runCrawlJob restarts it) rather than add to
   * counts that an earlier run stored.
   */
  attempt: number
  /** Runs in all: `maxAttempts`, plus one for each run that was handed over unfinished. */
  attempts: number
}

/**
 * The crawls waiting for or held by a worker, shared by every demo server on one store. A worker
 * holds a job by its lease, renewed while it runs: a worker that dies (or is killed) stops renewing,
 * and once its lease lapses any server claims the job again as its next attempt. Attempts are
 * counted here, not by the worker, because the worker that would count them may be the dead one.
 */
export interface CrawlJobTable {
  add(spec: CrawlJobSpec): Promise<void>
  /**
   * Claims a job that nobody holds, for `leaseMs`: its next run, held under `token` (one per
   * claim; renew, release and remove name it). A job that used up `maxAttempts` (handed-over runs
   * do not count) is dropped instead, its crawl left to the stall check. The same claim sent twice
   * (a reply lost and the command sent again) answers the same run, counted once.
   */
  claim(token: string, leaseMs: number, maxAttempts: number): Promise<ClaimedJob | undefined>
  /** Extends the lease; false when `owner` no longer holds it. */
  renew(crawlId: string, owner: string, leaseMs: number): Promise<boolean>
  /**
   * Gives the job back unfinished, for the next claim. `handOver`: this run does not use up an
   * attempt (a server shutting down gave it away; a retry does use one).
   */
  release(crawlId: string, owner: string, handOver?: boolean): Promise<void>
  /**
   * The job ended: nobody runs it again. With `owner`, only while that owner holds the lease or
   * nobody does: a worker that lost its lease must not drop the job of the one that took over.
   */
  remove(crawlId: string, owner?: string): Promise<void>
  /** Every job not yet removed, running or waiting. */
  crawlIds(): Promise<string[]>
}

interface MemoryEntry {
  spec: CrawlJobSpec
  /** Claims so far. */
  runs: number
  /** Runs handed over unfinished. */
  handOvers: number
  lease?: { owner: string; until: number }
}

/** The job table of one process: the in-memory demo (its crawls die with the process anyway). */
export class MemoryCrawlJobTable implements CrawlJobTable {
  readonly #jobs = new Map<string, MemoryEntry>()

  async add(spec: CrawlJobSpec): Promise<void> {
    this.#jobs.set(spec.crawlId, { spec, runs: 0, handOvers: 0 })
  }

  async claim(token: string, leaseMs: number, maxAttempts: number) {
    const now = Date.now()
    for (const [crawlId, entry] of this.#jobs) {
      const attempts = maxAttempts + entry.handOvers
      if (entry.lease && entry.lease.until > now) {
        if (entry.lease.owner !== token) continue
        return { spec: entry.spec, attempt: entry.runs, attempts }
      }
      if (entry.runs - entry.handOvers >= maxAttempts) {
        this.#jobs.delete(crawlId)
        continue
      }
      entry.runs += 1
      entry.lease = { owner: token, until: now + leaseMs }
      return { spec: entry.spec, attempt: entry.runs, attempts }
    }
    return undefined
  }

  async renew(crawlId: string, owner: string, leaseMs: number): Promise<boolean> {
    const entry = this.#jobs.get(crawlId)
    if (entry?.lease?.owner !== owner || entry.lease.until <= Date.now()) return false
    entry.lease.until = Date.now() + leaseMs
    return true
  }

  async release(crawlId: string, owner: string, handOver = false): Promise<void> {
    const entry = this.#jobs.get(crawlId)
    if (entry?.lease?.owner !== owner) return
    entry.lease = undefined
    if (handOver) entry.handOvers += 1
  }

  async remove(crawlId: string, owner?: string): Promise<void> {
    const lease = this.#jobs.get(crawlId)?.lease
    const heldByAnother = lease !== undefined && lease.until > Date.now() && lease.owner !== owner
    if (owner === undefined || !heldByAnother) this.#jobs.delete(crawlId)
  }

  async crawlIds(): Promise<string[]> {
    return [...this.#jobs.keys()]
  }
}
