import { randomUUID } from 'node:crypto'
import { type ProgressService, runCrawlJob } from '@docspasta/progress-core'
import type { ClaimedJob, CrawlJobTable } from './crawlJobTable.js'
import { createKillableWorker, type KillableWorker, WorkerKilledError } from './killableWorker.js'
import { simulatedCrawl } from './simulatedCrawl.js'

export interface CrawlWorkerPoolOptions {
  service: ProgressService
  jobs: CrawlJobTable
  /** Jobs this server runs at once. Default 4. */
  workers?: number
  /** Runs of one job in all: a killed worker's job is taken over until then. Default 2. */
  attempts?: number
  /** A worker that stops renewing its lease for this long is taken for dead. Default 3,000 ms. */
  leaseMs?: number
  /** How often an idle server looks for a job. Default 500 ms. */
  pollMs?: number
  /** Awaited before each page of a crawl. */
  pause: () => Promise<void>
  /** Every how many pages one fails (its crawl goes on). */
  failEvery?: number
  /** A reporter heartbeat while a worker is quiet; below the service's staleAfterMs. */
  heartbeatIntervalMs?: number
  onError: (error: unknown) => void
}

interface RunningJob {
  worker: KillableWorker
  /** The lease this run holds, in the table. */
  token: string
  /** The lease's renewal timer. */
  renewal: ReturnType<typeof setInterval>
}

/**
 * The demo's workers: each server claims jobs from the shared table up to `workers` at a time and
 * runs each through runCrawlJob, its attempt number from the table, so that a job taken over from
 * a dead worker starts the crawl over (a new epoch: every open stream resyncs) instead of adding
 * to the dead run's counts.
 */
export class CrawlWorkerPool {
  /** This server; each claim holds its lease under `<owner>:<n>`. */
  readonly owner = `server-${randomUUID()}`
  #claims = 0
  readonly #options: Required<Omit<CrawlWorkerPoolOptions, 'failEvery'>> &
    Pick<CrawlWorkerPoolOptions, 'failEvery'>
  readonly #running = new Map<string, RunningJob>()
  readonly #settled = new Set<Promise<void>>()
  #poll: ReturnType<typeof setTimeout> | undefined
  #claiming = false
  #stopped = false

  constructor(options: CrawlWorkerPoolOptions) {
    this.#options = {
      workers: 4,
      attempts: 2,
      leaseMs: 3_000,
      pollMs: 500,
      heartbeatIntervalMs: 2_000,
      ...options,
    }
  }

  start(): void {
    this.#schedule(0)
  }

  /** Looks for work now (after a crawl was added), instead of at the next poll. */
  wake(): void {
    this.#schedule(0)
  }

  /** Crawls this server's workers run now. */
  runningCrawls(): string[] {
    return [...this.#running.keys()]
  }

  /**
   * Kills the worker that runs this crawl here, as a crash would: nothing more of it reaches the
   * store. False when no worker of this server runs it.
   */
  kill(crawlId: string): boolean {
    const job = this.#running.get(crawlId)
    if (!job) return false
    this.#forget(crawlId, job)
    job.worker.kill()
    return true
  }

  /**
   * Stops claiming and stops every worker. `handOver`: their jobs go back to the table for
   * another server (Redis); else they stay, for the caller to end (memory: they die with us).
   */
  async stop({ handOver }: { handOver: boolean }): Promise<void> {
    this.#stopped = true
    clearTimeout(this.#poll)
    const running = [...this.#running]
    for (const [crawlId] of running) this.kill(crawlId)
    await Promise.all(this.#settled)
    if (handOver) {
      // Not an attempt used up: the next server starts them over with one more to spend.
      await Promise.all(
        running.map(([crawlId, { token }]) => this.#options.jobs.release(crawlId, token, true)),
      )
    }
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return
    clearTimeout(this.#poll)
    this.#poll = setTimeout(() => void this.#claimJobs(), delayMs)
  }

  async #claimJobs(): Promise<void> {
    if (this.#claiming || this.#stopped) return
    this.#claiming = true
    const { jobs, leaseMs, attempts, workers, pollMs, onError } = this.#options
    try {
      while (!this.#stopped && this.#running.size < workers) {
        this.#claims += 1
        const token = `${this.owner}:${this.#claims}`
        const claimed = await jobs.claim(token, leaseMs, attempts)
        if (!claimed) break
        if (this.#stopped) {
          await jobs.release(claimed.spec.crawlId, token, true)
          break
        }
        this.#run(claimed, token)
      }
    } catch (error) {
      // The store is down: the next round tries again.
      onError(error)
    } finally {
      this.#claiming = false
      this.#schedule(pollMs)
    }
  }

  #run({ spec, attempt, attempts }: ClaimedJob, token: string): void {
    const { crawlId } = spec
    const { service, jobs, leaseMs, onError } = this.#options
    const worker = createKillableWorker(service)
    const renewal = setInterval(() => {
      jobs.renew(crawlId, token, leaseMs).then((held) => {
        // Too late (a stalled event loop): another worker took the job over. This one stops;
        // whatever it still sends is refused anyway once the crawl was restarted.
        if (!held) this.kill(crawlId)
      }, onError)
    }, leaseMs / 3)
    const running: RunningJob = { worker, token, renewal }
    this.#running.set(crawlId, running)

    const stopped = new Promise<never>((_, reject) => {
      worker.signal.addEventListener('abort', () => reject(new WorkerKilledError()), {
        once: true,
      })
    })
    stopped.catch(() => undefined)
    const pause = () => Promise.race([this.#options.pause(), stopped])

    const run = () =>
      runCrawlJob(
        worker.service,
        crawlId,
        (job) => simulatedCrawl(job, spec, { pause, failEvery: this.#options.failEvery }),
        {
          attempt,
          attempts,
          reporter: {
            heartbeatIntervalMs: this.#options.heartbeatIntervalMs,
            // A killed worker's reporter fails like a dead process's would: not worth a log line.
            onError: (error) => {
              if (!worker.signal.aborted) onError(error)
            },
          },
        },
      )
    const settled = this.#isOver(worker, attempt, crawlId)
      .then(async (over) => {
        if (over) return jobs.remove(crawlId, token)
        const result = await run()
        // Retried: the table's next claim is the next attempt. Otherwise the crawl is over.
        if (result.outcome === 'retry') await jobs.release(crawlId, token)
        else await jobs.remove(crawlId, token)
      })
      .catch((error: unknown) => {
        // A killed worker's calls fail (WorkerKilledError, or the reporter's error around it).
        if (!worker.signal.aborted) onError(error)
      })
      .finally(() => {
        this.#forget(crawlId, running)
        this.#settled.delete(settled)
        this.wake()
      })
    this.#settled.add(settled)
  }

  /**
   * A crawl that ended while its job waited (failed from the page, or stalled) is over: a later
   * attempt would restart it (runCrawlJob restarts whatever the status), and pages that saw its
   * terminal have stopped following it.
   */
  async #isOver(worker: KillableWorker, attempt: number, crawlId: string): Promise<boolean> {
    if (attempt === 1) return false
    const snapshot = await worker.service.getSnapshot(crawlId)
    return snapshot === null || snapshot.terminal !== null
  }

  /** Only this run's entry: after a kill, this server may already run the job's next attempt. */
  #forget(crawlId: string, job: RunningJob): void {
    clearInterval(job.renewal)
    if (this.#running.get(crawlId) === job) this.#running.delete(crawlId)
  }
}
