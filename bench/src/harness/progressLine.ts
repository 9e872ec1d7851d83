import { fixed, kib, thousands } from './report/format.js'
import type { RunResult } from './results.js'

/** One stderr line per finished run, so a long bench shows where it is and how it goes. */
export function progressLine(run: RunResult): string {
  const head = `${run.scenario} rep ${run.rep} ${run.server}`
  const tail = `(${fixed(run.durationMs / 1000)} s)${run.failures.length ? ` FAILED: ${run.failures.join('; ')}` : ''}`
  if (run.kind === 'idle') {
    const perCycle = run.cycles.map((c) => kib(c.rssPerConnectionBytes)).join(' / ')
    return `${head}: RSS/conn ${perCycle} KiB ${tail}`
  }
  const c = run.correctness
  return (
    `${head}: ${thousands(run.deliveriesPerSecond)} deliveries/s, ` +
    `${fixed(run.cpuMicrosPerDelivery, 2)} µs CPU/delivery, p99 ${fixed(run.latencyP99Ms)} ms, ` +
    `published ${thousands(run.published)}/${thousands(run.scheduled)}, ` +
    `lost ${c.lost} dup ${c.duplicated} coalesced ${c.coalescedSeqs} ${tail}`
  )
}
