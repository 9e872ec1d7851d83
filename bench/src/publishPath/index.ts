import { performance } from 'node:perf_hooks'
import { DEFAULT_SERVICE_OPTIONS } from '@docspasta/progress-core'
import { RedisProgressService } from '@docspasta/progress-redis'
import { Redis } from 'ioredis'
import {
  captureSdkCall,
  evalshaTarget,
  MINIMAL_SCRIPT,
  minimalTarget,
  type PreparedTarget,
  progressInputs,
  sdkTarget,
  type TargetName,
} from './targets.js'

/** One measured cell: one target, one call shape, one number of concurrent callers. */
export interface PublishPathRow {
  target: TargetName
  /** Inputs per call: 1 is publish(), more is publishBatch(). */
  inputs: number
  concurrency: number
  /** `distinct`: one crawl per caller; `shared`: every caller on one crawl. */
  layout: 'distinct' | 'shared'
  calls: number
  seconds: number
  callsPerSecond: number
  eventsPerSecond: number
  /** Redis's own time in the script per call (INFO commandstats, evalsha). */
  redisScriptUsecPerCall: number
  /** Redis process CPU per call, user + sys (INFO cpu), network included. */
  redisCpuUsecPerCall: number
  /** This process's CPU per call, user + sys (process.cpuUsage), ioredis included. */
  nodeCpuUsecPerCall: number
}

/** SDK against raw EVALSHA against the minimal script, for one call shape. */
export interface PublishPathComparison {
  inputs: number
  concurrency: number
  layout: 'distinct' | 'shared'
  /** calls/s of the SDK over calls/s of raw EVALSHA of the same script (target ≥ 0.9). */
  sdkOverEvalsha: number
  /** Redis script µs/call of the SDK's script (raw EVALSHA) over the minimal script's. */
  scriptOverMinimal: number
  /** Node CPU µs/call the SDK adds to raw EVALSHA. */
  sdkNodeOverheadUsec: number
}

export interface PublishPathReport {
  bench: 'publish-path'
  quick: boolean
  redisVersion: string
  node: string
  elapsedMs: number
  rows: PublishPathRow[]
  comparisons: PublishPathComparison[]
}

const PREFIX = 'bench:publish'
const INPUTS = [1, 10, 100] as const
const CONCURRENCY = [1, 16, 64] as const
const LAYOUTS = ['distinct', 'shared'] as const
const TARGETS: readonly TargetName[] = ['sdk', 'evalsha', 'minimal']

interface Budget {
  /** Measured time per cell. */
  cellMs: number
  /** Most calls per cell, whatever the time. */
  maxCalls: number
  /** Unmeasured calls per caller before each cell (script cache, JIT, ioredis buffers). */
  warmupCalls: number
}

const QUICK: Budget = { cellMs: 90, maxCalls: 20_000, warmupCalls: 2 }
const FULL: Budget = { cellMs: 2_200, maxCalls: 500_000, warmupCalls: 20 }

function parseInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>()
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':')
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1))
  }
  return fields
}

async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = parseInfo(await redis.info('cpu'))
  return Number(info.get('used_cpu_user') ?? 0) + Number(info.get('used_cpu_sys') ?? 0)
}

async function evalshaStats(redis: Redis): Promise<{ calls: number; usec: number }> {
  const line = parseInfo(await redis.info('commandstats')).get('cmdstat_evalsha') ?? ''
  const calls = Number(/calls=(\d+)/.exec(line)?.[1] ?? 0)
  const usec = Number(/usec=(\d+)/.exec(line)?.[1] ?? 0)
  return { calls, usec }
}

/** Runs `concurrency` callers until the cell's time or call budget is spent. */
async function runCallers(
  target: PreparedTarget,
  crawlFor: (caller: number) => string,
  concurrency: number,
  budget: { until: number; maxCalls: number },
  startIndex: number,
): Promise<number> {
  let issued = 0
  const caller = async (index: number) => {
    const crawlId = crawlFor(index)
    while (issued < budget.maxCalls && performance.now() < budget.until) {
      const callIndex = startIndex + issued
      issued += 1
      await target.call(crawlId, callIndex)
    }
  }
  await Promise.all(Array.from({ length: concurrency }, (_, index) => caller(index)))
  return issued
}

const round = (value: number, digits = 1) => Number(value.toFixed(digits))

/**
 * Measures the publish path on the bench's own redis-server (`redisUrl`, nothing else using it
 * meanwhile: its command statistics are reset per run): the
 * SDK's publish() and publishBatch() of 10 and 100 progress inputs, raw EVALSHA of the SDK's
 * publish script with the arguments the SDK sends, and a minimal HINCRBY + XADD + PUBLISH
 * script, at 1, 16 and 64 concurrent callers, on one crawl per caller and on one shared crawl.
 */
export async function runPublishPathBench(options: {
  quick: boolean
  redisUrl: string
  log: (line: string) => void
}): Promise<PublishPathReport> {
  const budget = options.quick ? QUICK : FULL
  const startedAt = performance.now()
  const redis = new Redis(options.redisUrl, { lazyConnect: true })
  const admin = new Redis(options.redisUrl, { lazyConnect: true })
  const service = new RedisProgressService({ redis, prefix: PREFIX })
  const rows: PublishPathRow[] = []
  try {
    await redis.connect()
    await admin.connect()
    const redisVersion = parseInfo(await admin.info('server')).get('redis_version') ?? 'unknown'
    const minimalSha = (await admin.script('LOAD', MINIMAL_SCRIPT)) as string
    const runId = `r${Date.now().toString(36).slice(-5)}`
    let callIndex = 0
    let cell = 0
    for (const inputCount of INPUTS) {
      const inputs = progressInputs(inputCount)
      const captured = await captureSdkCall(redis, inputs, { prefix: PREFIX })
      const targets: Record<TargetName, PreparedTarget> = {
        sdk: sdkTarget(service, inputs),
        evalsha: evalshaTarget(redis, service, captured, runId),
        minimal: minimalTarget(
          redis,
          minimalSha,
          PREFIX,
          inputCount,
          DEFAULT_SERVICE_OPTIONS.historyLimit,
        ),
      }
      for (const concurrency of CONCURRENCY) {
        for (const layout of LAYOUTS) {
          for (const name of TARGETS) {
            cell += 1
            const target = targets[name]
            // Fresh crawls per cell; the script cache survives FLUSHALL.
            await admin.flushall()
            const crawls = layout === 'shared' ? 1 : concurrency
            const crawlIds = Array.from({ length: crawls }, (_, i) => `c${cell}-${i}`)
            for (const crawlId of crawlIds) await target.prepare(crawlId)
            const crawlFor = (caller: number) => crawlIds[caller % crawls] as string
            callIndex += await runCallers(
              target,
              crawlFor,
              concurrency,
              { until: Number.POSITIVE_INFINITY, maxCalls: budget.warmupCalls * concurrency },
              callIndex,
            )
            await admin.config('RESETSTAT')
            const cpuBefore = await redisCpuSeconds(admin)
            const nodeBefore = process.cpuUsage()
            const t0 = performance.now()
            const calls = await runCallers(
              target,
              crawlFor,
              concurrency,
              { until: t0 + budget.cellMs, maxCalls: budget.maxCalls },
              callIndex,
            )
            const seconds = (performance.now() - t0) / 1000
            const node = process.cpuUsage(nodeBefore)
            callIndex += calls
            const cpuAfter = await redisCpuSeconds(admin)
            const stats = await evalshaStats(admin)
            const row: PublishPathRow = {
              target: name,
              inputs: inputCount,
              concurrency,
              layout,
              calls,
              seconds: round(seconds, 3),
              callsPerSecond: Math.round(calls / seconds),
              eventsPerSecond: Math.round((calls * inputCount) / seconds),
              redisScriptUsecPerCall: round(stats.calls > 0 ? stats.usec / stats.calls : 0, 2),
              redisCpuUsecPerCall: round(((cpuAfter - cpuBefore) * 1e6) / calls, 2),
              nodeCpuUsecPerCall: round((node.user + node.system) / calls, 2),
            }
            rows.push(row)
            options.log(
              `publish-path ${name} inputs=${inputCount} callers=${concurrency} ${layout}: ` +
                `${row.callsPerSecond} calls/s, ${row.eventsPerSecond} events/s, ` +
                `script ${row.redisScriptUsecPerCall} µs, redis cpu ${row.redisCpuUsecPerCall} µs, ` +
                `node cpu ${row.nodeCpuUsecPerCall} µs per call`,
            )
          }
        }
      }
    }
    return {
      bench: 'publish-path',
      quick: options.quick,
      redisVersion,
      node: process.version,
      elapsedMs: Math.round(performance.now() - startedAt),
      rows,
      comparisons: compare(rows),
    }
  } finally {
    await service.close()
    redis.disconnect()
    admin.disconnect()
  }
}

function compare(rows: readonly PublishPathRow[]): PublishPathComparison[] {
  const comparisons: PublishPathComparison[] = []
  for (const sdk of rows) {
    if (sdk.target !== 'sdk') continue
    const same = (row: PublishPathRow, target: TargetName) =>
      row.target === target &&
      row.inputs === sdk.inputs &&
      row.concurrency === sdk.concurrency &&
      row.layout === sdk.layout
    const raw = rows.find((row) => same(row, 'evalsha'))
    const minimal = rows.find((row) => same(row, 'minimal'))
    if (!raw || !minimal) continue
    comparisons.push({
      inputs: sdk.inputs,
      concurrency: sdk.concurrency,
      layout: sdk.layout,
      sdkOverEvalsha: round(sdk.callsPerSecond / raw.callsPerSecond, 2),
      scriptOverMinimal: round(raw.redisScriptUsecPerCall / minimal.redisScriptUsecPerCall, 2),
      sdkNodeOverheadUsec: round(sdk.nodeCpuUsecPerCall - raw.nodeCpuUsecPerCall, 1),
    })
  }
  return comparisons
}

/** The report as a markdown table: one line per call shape, the three targets side by side. */
export function publishPathTable(report: PublishPathReport): string {
  const lines = [
    '| call | callers | crawls | SDK calls/s | SDK events/s | EVALSHA calls/s | minimal calls/s | SDK / EVALSHA | script µs/call SDK · EVALSHA · minimal | script / minimal | Redis CPU µs/call SDK · EVALSHA · minimal | Node CPU µs/call SDK · EVALSHA |',
    '| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ]
  for (const comparison of report.comparisons) {
    const pick = (target: TargetName) =>
      report.rows.find(
        (row) =>
          row.target === target &&
          row.inputs === comparison.inputs &&
          row.concurrency === comparison.concurrency &&
          row.layout === comparison.layout,
      ) as PublishPathRow
    const sdk = pick('sdk')
    const raw = pick('evalsha')
    const minimal = pick('minimal')
    const call = comparison.inputs === 1 ? 'publish' : `publishBatch(${comparison.inputs})`
    const crawls = comparison.layout === 'shared' ? '1 shared' : 'one each'
    lines.push(
      `| ${call} | ${comparison.concurrency} | ${crawls} | ${sdk.callsPerSecond} | ` +
        `${sdk.eventsPerSecond} | ${raw.callsPerSecond} | ${minimal.callsPerSecond} | ` +
        `${comparison.sdkOverEvalsha} | ${sdk.redisScriptUsecPerCall} · ` +
        `${raw.redisScriptUsecPerCall} · ${minimal.redisScriptUsecPerCall} | ` +
        `${comparison.scriptOverMinimal} | ${sdk.redisCpuUsecPerCall} · ` +
        `${raw.redisCpuUsecPerCall} · ${minimal.redisCpuUsecPerCall} | ` +
        `${sdk.nodeCpuUsecPerCall} · ${raw.nodeCpuUsecPerCall} |`,
    )
  }
  return lines.join('\n')
}
