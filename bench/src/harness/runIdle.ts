import {
  openConnections,
  type RunContext,
  type RunProcesses,
  startProcesses,
  stopProcesses,
} from './benchSetup.js'
import type { BenchChild } from './process/childRegistry.js'
import { waitFor } from './process/waitFor.js'
import type { IdleCycle, IdleRun } from './results.js'
import type { IdleScenario } from './scenarios.js'
import { crawlIds as crawlIdsOf } from './schedule.js'
import type { MemorySample } from './server/processMetrics.js'
import type { ServerKind } from './server/streamBackend.js'

/**
 * Idle connections, opened and closed `cycles` times against one server process (the first of a
 * kind that runs several): memory per
 * connection each cycle, and memory after each close against before the first open, which shows
 * whether closed connections leave anything behind.
 */
export async function runIdle(
  context: RunContext,
  scenario: IdleScenario,
  server: ServerKind,
  rep: number,
): Promise<IdleRun> {
  const started = Date.now()
  const crawlIds = crawlIdsOf(context.runTag, scenario.crawls)
  const connections = crawlIds.length * scenario.viewersPerCrawl
  const processes: Partial<RunProcesses> = {}
  const failures: string[] = []
  const cycles: IdleCycle[] = []
  let peakRssBytes = Number.NaN
  try {
    const running = await startProcesses(context, server, crawlIds, processes)
    const serverProcess = running.servers[0] as BenchChild
    const baseline = await serverProcess.request<MemorySample>('memory')
    for (let cycle = 0; cycle < scenario.cycles; cycle++) {
      const before = await serverProcess.request<MemorySample>('memory')
      const opened = await openConnections(running, crawlIds, scenario.viewersPerCrawl)
      if (opened.failed > 0) {
        failures.push(
          `cycle ${cycle + 1}: ${opened.failed} connections failed (${opened.firstFailure})`,
        )
      }
      const open = await serverProcess.request<MemorySample>('memory')
      await Promise.all(running.clients.map((client) => client.request('closeAll')))
      const closed = await waitFor(
        async () => (await serverProcess.request<number>('openSockets')) === 0,
        30_000,
        50,
      )
      if (!closed) failures.push(`cycle ${cycle + 1}: the server still holds sockets after close`)
      const after = await serverProcess.request<MemorySample>('memory')
      cycles.push({
        rssPerConnectionBytes: (open.rssBytes - before.rssBytes) / connections,
        heapPerConnectionBytes: (open.heapUsedBytes - before.heapUsedBytes) / connections,
        rssAfterCloseDeltaBytes: after.rssBytes - baseline.rssBytes,
        heapAfterCloseDeltaBytes: after.heapUsedBytes - baseline.heapUsedBytes,
        connectMs: opened.ms,
      })
    }
    peakRssBytes = (await serverProcess.request<{ peakRssBytes: number }>('peak')).peakRssBytes
  } catch (error) {
    failures.push(error instanceof Error ? error.message : String(error))
  } finally {
    failures.push(...(await stopProcesses(processes)))
  }
  return {
    kind: 'idle',
    scenario: scenario.id,
    server,
    rep,
    connections,
    cycles,
    peakRssBytes,
    failures,
    durationMs: Date.now() - started,
  }
}
