import type { ProgressService } from '@docspasta/progress-core'

/** What a killed worker's calls fail with; the worker's end is then a death, not an error. */
export class WorkerKilledError extends Error {
  readonly code = 'worker-killed'

  constructor() {
    super('the worker was killed from the demo page')
    this.name = 'WorkerKilledError'
  }
}

export interface KillableWorker {
  /** The service as this worker sees it: once killed, every call fails and writes nothing. */
  readonly service: ProgressService
  /** Aborted by kill(): the job's own loop stops at its next page. */
  readonly signal: AbortSignal
  kill(): void
}

/**
 * A worker that can die in place, as a crashed process would: from kill() on, nothing it does
 * reaches the store (no event, no heartbeat, no terminal), so its crawl is left running and
 * claimed, exactly as a `kill -9` leaves it, for the lease to lapse or the stall check to fire.
 */
export function createKillableWorker(service: ProgressService): KillableWorker {
  const killed = new AbortController()
  const severed = new Proxy(service, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver)
      if (typeof value !== 'function') return value
      return (...args: unknown[]) =>
        killed.signal.aborted
          ? Promise.reject(new WorkerKilledError())
          : Reflect.apply(value, target, args)
    },
  })
  return { service: severed, signal: killed.signal, kill: () => killed.abort() }
}
