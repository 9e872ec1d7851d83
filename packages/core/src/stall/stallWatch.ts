import type { StallSweepResult } from '../service.js'

/** What one stall check found. */
export type StallCheckOutcome =
  /** Running, and a worker published or beat within `staleAfterMs` (or detection is off). */
  | 'alive'
  /** This check failed the crawl with code `stalled`. */
  | 'stalled'
  /** Completed or failed already (by a worker, or by another checker). */
  | 'closed'
  /** The crawl's state is gone (cleaned up or expired); the backend ended its subscribers. */
  | 'missing'

/** What a sweep found: the result of sweepStalled(), with each crawl's outcome. */
export interface StallSweep extends StallSweepResult {
  outcomes: Map<string, StallCheckOutcome>
}

export interface StallWatchOptions {
  /** 0 turns stall detection off; watched crawls are then only checked for existence. */
  staleAfterMs: number
  /** Checks one crawl (the terminal check-and-set when it is stale). */
  check: (crawlId: string) => Promise<StallCheckOutcome>
  /** A check that failed in the store: reported, and tried again at the next round. */
  onError: (error: unknown) => void
}

/** How often watched crawls are checked: a quarter of staleAfterMs, within these bounds. */
const MIN_CHECK_INTERVAL_MS = 50
const MAX_CHECK_INTERVAL_MS = 15_000
/** Checks in flight at once, so a sweep of many crawls does not flood the store. */
const CHECK_CONCURRENCY = 16

export function stallCheckIntervalMs(staleAfterMs: number): number {
  if (staleAfterMs === 0) return MAX_CHECK_INTERVAL_MS
  return Math.min(
    Math.max(Math.floor(staleAfterMs / 4), MIN_CHECK_INTERVAL_MS),
    MAX_CHECK_INTERVAL_MS,
  )
}

/**
 * The stall check where clients watch: the crawls this instance has subscribers for are checked
 * on one timer, which runs only while there are any. Costs one check per watched crawl per
 * round, never a scan of the store.
 */
export class StallWatch {
  readonly #options: StallWatchOptions
  readonly #intervalMs: number
  /** Watched crawl id → number of subscriptions watching it. */
  readonly #watched = new Map<string, number>()
  #timer: ReturnType<typeof setTimeout> | undefined
  #round: Promise<unknown> | undefined
  #closed = false

  constructor(options: StallWatchOptions) {
    this.#options = options
    this.#intervalMs = stallCheckIntervalMs(options.staleAfterMs)
  }

  /** 1 while the round timer is armed. */
  get timerCount(): number {
    return this.#timer === undefined ? 0 : 1
  }

  watch(crawlId: string): void {
    if (this.#closed) return
    this.#watched.set(crawlId, (this.#watched.get(crawlId) ?? 0) + 1)
    this.#arm()
  }

  unwatch(crawlId: string): void {
    const count = this.#watched.get(crawlId)
    if (count === undefined) return
    if (count > 1) this.#watched.set(crawlId, count - 1)
    else this.#watched.delete(crawlId)
    if (this.#watched.size === 0) this.#disarm()
  }

  /**
   * Checks `more` and (unless `withWatched` is false) the watched crawls, each once, now;
   * rejects with the first store error.
   */
  async sweep(more: Iterable<string> = [], withWatched = true): Promise<StallSweep> {
    const ids = new Set(withWatched ? this.#watched.keys() : [])
    for (const id of more) ids.add(id)
    const outcomes = new Map<string, StallCheckOutcome>()
    await forEachBounded([...ids], async (id) => {
      outcomes.set(id, await this.#options.check(id))
    })
    const stalled: string[] = []
    for (const [id, outcome] of outcomes) if (outcome === 'stalled') stalled.push(id)
    return { checked: outcomes.size, stalled, outcomes }
  }

  close(): void {
    this.#closed = true
    this.#watched.clear()
    this.#disarm()
  }

  #arm(): void {
    if (this.#timer !== undefined || this.#round !== undefined) return
    this.#timer = setTimeout(this.#onTimer, this.#intervalMs)
    ;(this.#timer as { unref?: () => void }).unref?.()
  }

  #disarm(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
  }

  readonly #onTimer = (): void => {
    this.#timer = undefined
    // Rounds never overlap: the next is armed when this one has settled.
    this.#round = this.#runRound().finally(() => {
      this.#round = undefined
      if (!this.#closed && this.#watched.size > 0) this.#arm()
    })
  }

  #runRound(): Promise<void> {
    return forEachBounded([...this.#watched.keys()], async (id) => {
      // Unwatched meanwhile: nobody needs this check any more.
      if (this.#closed || !this.#watched.has(id)) return
      try {
        await this.#options.check(id)
      } catch (error) {
        // A check still in flight when the service closed has nobody left to tell.
        if (!this.#closed) this.#options.onError(error)
      }
    })
  }
}

/** Runs `run` for every id, at most CHECK_CONCURRENCY at once. */
async function forEachBounded(ids: string[], run: (id: string) => Promise<void>): Promise<void> {
  const worker = async (): Promise<void> => {
    for (let id = ids.pop(); id !== undefined; id = ids.pop()) await run(id)
  }
  await Promise.all(Array.from({ length: Math.min(CHECK_CONCURRENCY, ids.length) }, worker))
}
