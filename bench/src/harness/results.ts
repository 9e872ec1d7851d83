import type { ServerKind } from './server/streamBackend.js'

// The raw figures of each run, as written to the JSON results.

export interface Correctness {
  lost: number
  duplicated: number
  /** Seqs accounted for by `coalesced: true` envelopes (not lost). */
  coalescedSeqs: number
  coalescedEnvelopes: number
  /** Seqs accounted for by `resync: true` snapshots (not lost). */
  resyncSeqs: number
  /** Connections the server ended on its own. */
  dropped: number
  badFrames: number
  connectFailures: number
  publishErrors: number
}

export interface StreamingRun {
  kind: 'streaming'
  scenario: string
  server: ServerKind
  rep: number
  connections: number
  connectMs: number
  windowMs: number
  /** Server CPU (user + system) over the window / deliveries counted by the clients in it. */
  cpuMicrosPerDelivery: number
  serverCpuPercent: number
  deliveriesPerSecond: number
  published: number
  scheduled: number
  /** published / scheduled within the window. */
  publishRate: number
  latencyP50Ms: number
  latencyP99Ms: number
  latencyMaxMs: number
  lagP99Ms: number
  lagMaxMs: number
  rssPerConnectionBytes: number
  heapPerConnectionBytes: number
  peakRssBytes: number
  gcMs: number
  correctness: Correctness
  failures: string[]
  durationMs: number
}

export interface IdleCycle {
  rssPerConnectionBytes: number
  heapPerConnectionBytes: number
  /** RSS and heap once every connection closed, minus before the first cycle. */
  rssAfterCloseDeltaBytes: number
  heapAfterCloseDeltaBytes: number
  connectMs: number
}

export interface IdleRun {
  kind: 'idle'
  scenario: string
  server: ServerKind
  rep: number
  connections: number
  cycles: IdleCycle[]
  peakRssBytes: number
  failures: string[]
  durationMs: number
}

export type RunResult = StreamingRun | IdleRun

export interface BenchReport {
  machine: string
  startedAt: string
  mode: 'full' | 'quick'
  reps: number
  redis: string
  runs: RunResult[]
  publishPath: { table: string; report: unknown } | { skipped: string }
  failures: string[]
  durationMs: number
}
