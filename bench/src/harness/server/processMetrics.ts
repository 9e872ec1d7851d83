import { PerformanceObserver } from 'node:perf_hooks'

export interface ProcessSample {
  /** User + system CPU time of this process so far, µs. */
  cpuMicros: number
  /** Time spent in GC so far (perf_hooks 'gc' entries), ms. */
  gcMs: number
}

export interface MemorySample {
  rssBytes: number
  heapUsedBytes: number
}

/** CPU, GC and memory of the process it runs in; stop() disconnects the GC observer. */
export class ProcessMetrics {
  private gcMs = 0
  private readonly observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) this.gcMs += entry.duration
  })

  constructor() {
    this.observer.observe({ entryTypes: ['gc'] })
  }

  sample(): ProcessSample {
    const cpu = process.cpuUsage()
    return { cpuMicros: cpu.user + cpu.system, gcMs: this.gcMs }
  }

  /** Memory after a full GC when the process runs with --expose-gc, so that idle is idle. */
  memory(): MemorySample {
    const collect = (globalThis as { gc?: () => void }).gc
    collect?.()
    collect?.()
    const usage = process.memoryUsage()
    return { rssBytes: usage.rss, heapUsedBytes: usage.heapUsed }
  }

  /** The process's peak RSS so far (getrusage maxrss). */
  peakRssBytes(): number {
    return process.resourceUsage().maxRSS * 1024
  }

  stop(): void {
    this.observer.disconnect()
  }
}
