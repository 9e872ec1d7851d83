import type { ProgressService, ProgressServiceOptions } from '@docspasta/progress-core'
import { afterEach } from 'vitest'

/** How the suite makes services of the implementation under test. */
export interface ConformanceTarget {
  /** A readable name for the describe block, e.g. `MemoryProgressService`. */
  name: string
  /** Creates a fresh, independent service; the suite closes every one it creates. */
  create: (options: ProgressServiceOptions) => ProgressService | Promise<ProgressService>
  /**
   * Counts everything the backend stores for the services this target creates (Redis: the keys
   * under their prefix). The suite uses it to
   * prove that rejected calls wrote nothing. Default: no such check beyond getSnapshot.
   */
  countStored?: () => Promise<number>
  /** Per-test timeout, default 30 s (real networks, CI machines). */
  timeoutMs?: number
}

export interface ConformanceContext {
  target: ConformanceTarget
  /** A crawl id unique to this run and test. */
  crawlId(label: string): string
  /** A service that is closed after the test. */
  service(options?: ProgressServiceOptions): Promise<ProgressService>
  timeoutMs: number
}

export function createConformanceContext(target: ConformanceTarget): ConformanceContext {
  const run = Math.random().toString(36).slice(2, 10)
  const open: ProgressService[] = []
  let counter = 0
  afterEach(async () => {
    const closing = open.splice(0)
    await Promise.all(closing.map((service) => service.close()))
  })
  return {
    target,
    timeoutMs: target.timeoutMs ?? 30_000,
    crawlId: (label) => {
      counter += 1
      return `conf-${run}-${label}-${counter}`
    },
    service: async (options = {}) => {
      const service = await target.create(options)
      open.push(service)
      return service
    },
  }
}
