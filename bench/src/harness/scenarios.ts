import type { ServerKind } from './server/streamBackend.js'

// The scenarios of `pnpm bench` (full) and `pnpm bench --quick` (the same code, small sizes).

export interface StreamingScenario {
  kind: 'streaming'
  id: string
  title: string
  crawls: number
  viewersPerCrawl: number
  ratePerSecond: number
  /** Also run the two-process scale-out (sdk-redis-2p): where one process is the floor. */
  scaleOut: boolean
}

export interface IdleScenario {
  kind: 'idle'
  id: string
  title: string
  crawls: number
  viewersPerCrawl: number
  cycles: number
}

export type Scenario = StreamingScenario | IdleScenario

export interface Timings {
  warmupMs: number
  windowMs: number
  /** After the publisher stopped: how long clients wait without any new frame for the last seqs. */
  drainTimeoutMs: number
}

function oneCrawl(viewers: number, label: string, scaleOut = false): StreamingScenario {
  return {
    kind: 'streaming',
    id: `one-crawl-${label}`,
    title: `1 crawl × ${viewers.toLocaleString('en')} connections × 10 events/s`,
    crawls: 1,
    viewersPerCrawl: viewers,
    ratePerSecond: 10,
    scaleOut,
  }
}

function manyCrawls(
  crawls: number,
  viewers: number,
  rate: number,
  scaleOut = false,
): StreamingScenario {
  return {
    kind: 'streaming',
    id: `crawls-${crawls}x${viewers}-${rate}hz`,
    title: `${crawls.toLocaleString('en')} crawls × ${viewers} viewers × ${rate} events/s`,
    crawls,
    viewersPerCrawl: viewers,
    ratePerSecond: rate,
    scaleOut,
  }
}

function idle(crawls: number, viewers: number, label: string): IdleScenario {
  const total = (crawls * viewers).toLocaleString('en')
  return {
    kind: 'idle',
    id: `idle-${label}`,
    title: `${total} idle connections (${crawls} crawls × ${viewers}), 3 open/close cycles`,
    crawls,
    viewersPerCrawl: viewers,
    cycles: 3,
  }
}

export const FULL_SCENARIOS: readonly Scenario[] = [
  oneCrawl(1_000, '1k'),
  oneCrawl(5_000, '5k', true),
  oneCrawl(10_000, '10k', true),
  manyCrawls(1_000, 10, 1),
  manyCrawls(1_000, 10, 2),
  manyCrawls(1_000, 10, 5, true),
  idle(1_000, 10, '10k'),
]

export const QUICK_SCENARIOS: readonly Scenario[] = [
  oneCrawl(200, '200', true),
  manyCrawls(50, 4, 5),
  idle(50, 10, '500'),
]

export const FULL_TIMINGS: Timings = { warmupMs: 2_500, windowMs: 8_000, drainTimeoutMs: 10_000 }
export const QUICK_TIMINGS: Timings = { warmupMs: 300, windowMs: 1_000, drainTimeoutMs: 3_000 }

export function connectionsOf(scenario: Scenario): number {
  return scenario.crawls * scenario.viewersPerCrawl
}

/** Whether a server kind runs in a scenario: the scale-out only where the scenario asks for it. */
export function runsIn(kind: ServerKind, scenario: Scenario): boolean {
  if (kind !== 'sdk-redis-2p') return true
  return scenario.kind === 'streaming' && scenario.scaleOut
}
