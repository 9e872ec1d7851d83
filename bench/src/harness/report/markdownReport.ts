import type { BenchReport, IdleRun, StreamingRun } from '../results.js'
import type { Scenario } from '../scenarios.js'
import type { ServerKind } from '../server/streamBackend.js'
import { fixed, kib, markdownTable, mib, percent, ratio, thousands } from './format.js'

const STREAMING_HEADER = [
  'rep',
  'server',
  'CPU µs/delivery',
  'deliveries/s',
  'published',
  'p50 ms',
  'p99 ms',
  'max ms',
  'max lag ms',
  'RSS/conn KiB',
  'heap/conn KiB',
  'peak RSS MiB',
  'GC ms',
  'lost',
  'dup',
  'coalesced seqs',
]

function streamingRow(run: StreamingRun): string[] {
  const c = run.correctness
  return [
    String(run.rep),
    run.failures.length > 0 ? `${run.server} ⚠` : run.server,
    fixed(run.cpuMicrosPerDelivery, 2),
    thousands(run.deliveriesPerSecond),
    percent(run.publishRate),
    fixed(run.latencyP50Ms),
    fixed(run.latencyP99Ms),
    fixed(run.latencyMaxMs),
    fixed(run.lagMaxMs),
    kib(run.rssPerConnectionBytes),
    kib(run.heapPerConnectionBytes),
    mib(run.peakRssBytes),
    fixed(run.gcMs, 0),
    String(c.lost),
    String(c.duplicated),
    String(c.coalescedSeqs),
  ]
}

/** SDK ÷ bare and SDK ÷ better-sse for each repetition, on the figures where lower is better. */
function ratioRows(runs: StreamingRun[]): string[][] {
  const rows: string[][] = []
  const reps = [...new Set(runs.map((run) => run.rep))]
  for (const rep of reps) {
    const of = (server: ServerKind) => runs.find((r) => r.rep === rep && r.server === server)
    for (const sdk of ['sdk-memory', 'sdk-redis', 'sdk-redis-2p'] as const) {
      const mine = of(sdk)
      if (!mine) continue
      for (const peer of ['bare', 'better-sse'] as const) {
        const theirs = of(peer)
        if (!theirs) continue
        rows.push([
          String(rep),
          `${sdk} / ${peer}`,
          ratio(mine.cpuMicrosPerDelivery, theirs.cpuMicrosPerDelivery),
          ratio(mine.deliveriesPerSecond, theirs.deliveriesPerSecond),
          ratio(mine.publishRate, theirs.publishRate),
          ratio(mine.latencyP50Ms, theirs.latencyP50Ms),
          ratio(mine.latencyP99Ms, theirs.latencyP99Ms),
          ratio(mine.latencyMaxMs, theirs.latencyMaxMs),
          ratio(mine.lagMaxMs, theirs.lagMaxMs),
          ratio(mine.rssPerConnectionBytes, theirs.rssPerConnectionBytes),
          ratio(mine.heapPerConnectionBytes, theirs.heapPerConnectionBytes),
          ratio(mine.peakRssBytes, theirs.peakRssBytes),
          '',
          '',
          '',
          '',
        ])
      }
    }
  }
  return rows
}

function idleTable(runs: IdleRun[]): string {
  const cycles = Math.max(0, ...runs.map((run) => run.cycles.length))
  const perCycle = (label: string) => Array.from({ length: cycles }, (_, i) => `${label} ${i + 1}`)
  const header = [
    'rep',
    'server',
    ...perCycle('RSS/conn KiB, cycle'),
    ...perCycle('heap/conn KiB, cycle'),
    ...perCycle('RSS after close MiB, cycle'),
    'peak RSS MiB',
  ]
  const rows = runs.map((run) => [
    String(run.rep),
    run.failures.length > 0 ? `${run.server} ⚠` : run.server,
    ...run.cycles.map((c) => kib(c.rssPerConnectionBytes)),
    ...run.cycles.map((c) => kib(c.heapPerConnectionBytes)),
    ...run.cycles.map((c) => fixed(c.rssAfterCloseDeltaBytes / 2 ** 20, 1)),
    mib(run.peakRssBytes),
  ])
  return markdownTable(header, rows)
}

export function markdownReport(report: BenchReport, scenarios: readonly Scenario[]): string {
  const parts = [`${report.machine}`, '']
  for (const scenario of scenarios) {
    const runs = report.runs.filter((run) => run.scenario === scenario.id)
    if (runs.length === 0) continue
    parts.push(`#### ${scenario.id}: ${scenario.title}`, '')
    if (scenario.kind === 'idle') {
      parts.push(idleTable(runs.filter((run): run is IdleRun => run.kind === 'idle')))
    } else {
      const streaming = runs.filter((run): run is StreamingRun => run.kind === 'streaming')
      parts.push(
        markdownTable(STREAMING_HEADER, [...streaming.map(streamingRow), ...ratioRows(streaming)]),
      )
    }
    parts.push('')
  }
  parts.push('#### Publish path', '')
  parts.push(
    'table' in report.publishPath
      ? report.publishPath.table
      : `skipped: ${report.publishPath.skipped}`,
  )
  parts.push('')
  if (report.failures.length > 0) {
    parts.push('#### Failures', '', ...report.failures.map((failure) => `- ${failure}`), '')
  }
  return parts.join('\n')
}
