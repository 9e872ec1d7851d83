import {
  openConnections,
  type RunContext,
  type RunProcesses,
  startProcesses,
  stopProcesses,
  sumOfServers,
} from './benchSetup.js'
import type { DrainResult, WindowEnd } from './client/clientMain.js'
import type { BenchChild } from './process/childRegistry.js'
import { sleep } from './process/waitFor.js'
import type { TickerResult, TickerSample } from './publisher/scheduleTicker.js'
import type { Correctness, StreamingRun } from './results.js'
import type { StreamingScenario } from './scenarios.js'
import { crawlIds as crawlIdsOf, type PublishSchedule } from './schedule.js'
import type { MemorySample, ProcessSample } from './server/processMetrics.js'
import type { ServerKind } from './server/streamBackend.js'
import { LatencyHistogram } from './stats/latencyHistogram.js'

type ServerSample = ProcessSample & Partial<TickerSample>

interface WindowPoint {
  at: number
  frames: number
  server: ServerSample
  ticker: TickerSample
}

/** One scenario against one server kind: connect, warm up, measure a window, drain, check. */
export async function runStreaming(
  context: RunContext,
  scenario: StreamingScenario,
  server: ServerKind,
  rep: number,
): Promise<StreamingRun> {
  const started = Date.now()
  const crawlIds = crawlIdsOf(context.runTag, scenario.crawls)
  const processes: Partial<RunProcesses> = {}
  const failures: string[] = []
  try {
    const running = await startProcesses(context, server, crawlIds, processes)
    return await measure(context, scenario, server, rep, running, crawlIds, failures, started)
  } catch (error) {
    failures.push(error instanceof Error ? error.message : String(error))
    return failedRun(scenario, server, rep, failures, started)
  } finally {
    failures.push(...(await stopProcesses(processes)))
  }
}

async function measure(
  context: RunContext,
  scenario: StreamingScenario,
  server: ServerKind,
  rep: number,
  processes: RunProcesses,
  crawlIds: string[],
  failures: string[],
  started: number,
): Promise<StreamingRun> {
  const connections = crawlIds.length * scenario.viewersPerCrawl
  const publisher = processes.publisher ?? (processes.servers[0] as BenchChild)
  const before = await sumOfServers<MemorySample>(processes, 'memory')
  const opened = await openConnections(processes, crawlIds, scenario.viewersPerCrawl)
  if (opened.failed > 0) {
    failures.push(`${opened.failed} connections failed (${opened.firstFailure})`)
  }
  const after = await sumOfServers<MemorySample>(processes, 'memory')

  // Every connection has its first bytes: the schedule starts shortly after, for all at once.
  const schedule: PublishSchedule = {
    t0: Date.now() + 100,
    crawls: scenario.crawls,
    ratePerSecond: scenario.ratePerSecond,
  }
  await Promise.all(processes.clients.map((client) => client.request('setSchedule', schedule)))
  await publisher.request('startSchedule', schedule)
  await sleep(context.timings.warmupMs)

  const sampleWindow = async (edge: 'startWindow' | 'endWindow') => {
    const [frames, serverSample, tickerSample] = await Promise.all([
      Promise.all(processes.clients.map((client) => client.request<number | WindowEnd>(edge))),
      sumOfServers<ServerSample>(processes, 'sample'),
      publisher.request<TickerSample>('sample'),
    ])
    return { at: Date.now(), frames, server: serverSample, ticker: tickerSample }
  }
  const startPoint = await sampleWindow('startWindow')
  await sleep(context.timings.windowMs)
  const endPoint = await sampleWindow('endWindow')

  const stopped = await publisher.request<TickerResult>('stopSchedule')
  const drains = await Promise.all(
    processes.clients.map((client) =>
      client.request<DrainResult>('drain', {
        finalSeqs: stopped.publishedPerCrawl,
        timeoutMs: context.timings.drainTimeoutMs,
      }),
    ),
  )
  const { peakRssBytes } = await sumOfServers<{ peakRssBytes: number }>(processes, 'peak')

  const windowEnds = endPoint.frames as WindowEnd[]
  const start: WindowPoint = {
    ...startPoint,
    frames: (startPoint.frames as number[]).reduce((sum, f) => sum + f, 0),
  }
  const end: WindowPoint = {
    ...endPoint,
    frames: windowEnds.reduce((sum, w) => sum + w.frames, 0),
  }
  const latency = new LatencyHistogram()
  const lag = new LatencyHistogram()
  for (const windowEnd of windowEnds) {
    latency.add(windowEnd.publishLatency)
    lag.add(windowEnd.scheduleLag)
  }
  const correctness = correctnessOf(drains, opened.failed, stopped)
  if (!drains.every((drain) => drain.drained)) {
    failures.push(
      `not every connection reached its crawl's last seq (no frame for the drain timeout)`,
    )
  }
  if (stopped.firstError) failures.push(`publish failed: ${stopped.firstError}`)

  const windowMs = end.at - start.at
  const deliveries = end.frames - start.frames
  const cpuMicros = end.server.cpuMicros - start.server.cpuMicros
  const published = end.ticker.published - start.ticker.published
  const scheduled = end.ticker.due - start.ticker.due
  return {
    kind: 'streaming',
    scenario: scenario.id,
    server,
    rep,
    connections,
    connectMs: opened.ms,
    windowMs,
    cpuMicrosPerDelivery: deliveries > 0 ? cpuMicros / deliveries : Number.NaN,
    serverCpuPercent: (cpuMicros / 1000 / windowMs) * 100,
    deliveriesPerSecond: deliveries / (windowMs / 1000),
    published,
    scheduled,
    publishRate: scheduled > 0 ? published / scheduled : Number.NaN,
    latencyP50Ms: latency.percentile(0.5),
    latencyP99Ms: latency.percentile(0.99),
    latencyMaxMs: latency.max,
    lagP99Ms: lag.percentile(0.99),
    lagMaxMs: lag.max,
    rssPerConnectionBytes: (after.rssBytes - before.rssBytes) / connections,
    heapPerConnectionBytes: (after.heapUsedBytes - before.heapUsedBytes) / connections,
    peakRssBytes,
    gcMs: end.server.gcMs - start.server.gcMs,
    correctness,
    failures,
    durationMs: Date.now() - started,
  }
}

function correctnessOf(drains: DrainResult[], connectFailures: number, stopped: TickerResult) {
  const sum = (pick: (drain: DrainResult) => number) => drains.reduce((s, d) => s + pick(d), 0)
  const correctness: Correctness = {
    lost: sum((d) => d.lost),
    duplicated: sum((d) => d.duplicated),
    coalescedSeqs: sum((d) => d.coalescedSeqs),
    coalescedEnvelopes: sum((d) => d.coalescedEnvelopes),
    resyncSeqs: sum((d) => d.resyncSeqs),
    dropped: sum((d) => d.dropped),
    badFrames: sum((d) => d.badFrames),
    connectFailures,
    publishErrors: stopped.errors,
  }
  return correctness
}

function failedRun(
  scenario: StreamingScenario,
  server: ServerKind,
  rep: number,
  failures: string[],
  started: number,
): StreamingRun {
  const none = Number.NaN
  return {
    kind: 'streaming',
    scenario: scenario.id,
    server,
    rep,
    connections: scenario.crawls * scenario.viewersPerCrawl,
    connectMs: none,
    windowMs: none,
    cpuMicrosPerDelivery: none,
    serverCpuPercent: none,
    deliveriesPerSecond: none,
    published: 0,
    scheduled: 0,
    publishRate: none,
    latencyP50Ms: none,
    latencyP99Ms: none,
    latencyMaxMs: none,
    lagP99Ms: none,
    lagMaxMs: none,
    rssPerConnectionBytes: none,
    heapPerConnectionBytes: none,
    peakRssBytes: none,
    gcMs: none,
    correctness: {
      lost: 0,
      duplicated: 0,
      coalescedSeqs: 0,
      coalescedEnvelopes: 0,
      resyncSeqs: 0,
      dropped: 0,
      badFrames: 0,
      connectFailures: 0,
      publishErrors: 0,
    },
    failures,
    durationMs: Date.now() - started,
  }
}
