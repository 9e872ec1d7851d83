import { availableParallelism, cpus } from 'node:os'
import { ClientPool } from './benchSetup.js'
import type { BenchOptions } from './options.js'
import { ChildRegistry } from './process/childRegistry.js'
import { type BenchRedis, startBenchRedis } from './process/redisServer.js'
import { progressLine } from './progressLine.js'
import { runPublishPathSection } from './publishPathSection.js'
import type { BenchReport, RunResult } from './results.js'
import { runIdle } from './runIdle.js'
import { runStreaming } from './runStreaming.js'
import { FULL_TIMINGS, QUICK_TIMINGS, runsIn } from './scenarios.js'
import { onRedis } from './server/streamBackend.js'

/** Correctness problems of a run (never speed): what makes the bench exit non-zero. */
export function correctnessFailures(run: RunResult): string[] {
  const failures = run.failures.map(
    (failure) => `${run.scenario} rep ${run.rep} ${run.server}: ${failure}`,
  )
  if (run.kind === 'streaming') {
    const c = run.correctness
    const label = `${run.scenario} rep ${run.rep} ${run.server}`
    if (c.lost > 0) failures.push(`${label}: ${c.lost} events lost`)
    if (c.duplicated > 0) failures.push(`${label}: ${c.duplicated} events duplicated`)
    if (c.dropped > 0) failures.push(`${label}: ${c.dropped} connections ended by the server`)
    if (c.badFrames > 0) failures.push(`${label}: ${c.badFrames} unparseable data frames`)
  }
  return failures
}

export function machineLine(options: BenchOptions, startedAt: Date, redis: string): string {
  const model = cpus()[0]?.model.trim() ?? 'unknown cpu'
  return (
    `node ${process.version}, ${availableParallelism()} cores (${model}), ${process.platform}, ` +
    `${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC, ` +
    `${options.quick ? 'quick' : 'full'} mode, ${options.reps} rep(s), Redis: ${redis}`
  )
}

/**
 * Runs every repetition of every scenario against every server kind, interleaved (bare,
 * better-sse, sdk-memory, sdk-redis, then the next scenario, then the next repetition), and then
 * the publish-path section. Kills every child it started, also on SIGINT.
 */
export async function runBench(options: BenchOptions, log: (line: string) => void) {
  const started = new Date()
  const children = new ChildRegistry()
  const onSignal = () => {
    const killed = children.killAll()
    log(`interrupted: killed ${killed} child process(es)`)
    process.exit(130)
  }
  const onExit = () => children.killAll()
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  process.on('exit', onExit)
  let redis: BenchRedis | undefined
  const clients = new ClientPool(children)
  const runs: RunResult[] = []
  const failures: string[] = []
  try {
    redis = await startBenchRedis(children)
    if (!redis)
      log('no Redis (BENCH_REDIS_URL unset, redis-server not startable): sdk-redis skipped')
    const kinds = options.kinds.filter((kind) => !onRedis(kind) || redis)
    const timings = options.quick ? QUICK_TIMINGS : FULL_TIMINGS
    let runNumber = 0
    const tagBase = `${process.pid.toString(36)}${Date.now().toString(36)}`
    for (let rep = 1; rep <= options.reps; rep++) {
      for (const scenario of options.scenarios) {
        for (const server of kinds.filter((kind) => runsIn(kind, scenario))) {
          runNumber += 1
          const context = {
            children,
            clients,
            redis,
            timings,
            runTag: `${tagBase}-${runNumber}`,
            log,
          }
          log(`→ ${scenario.id} rep ${rep}/${options.reps} ${server}`)
          const run =
            scenario.kind === 'idle'
              ? await runIdle(context, scenario, server, rep)
              : await runStreaming(context, scenario, server, rep)
          runs.push(run)
          failures.push(...correctnessFailures(run))
          log(`  ${progressLine(run)}`)
        }
      }
    }
    const publishPath = options.skipPublishPath
      ? { skipped: '--skip-publish-path' }
      : await runPublishPathSection(options.quick, redis?.url, (line) =>
          log(`  publish-path: ${line}`),
        ).catch((error: unknown) => {
          failures.push(`publish-path: ${error instanceof Error ? error.message : String(error)}`)
          return { skipped: 'failed (see failures)' }
        })
    const report: BenchReport = {
      machine: machineLine(options, started, redis?.description ?? 'none'),
      startedAt: started.toISOString(),
      mode: options.quick ? 'quick' : 'full',
      reps: options.reps,
      redis: redis?.description ?? 'none',
      runs,
      publishPath,
      failures,
      durationMs: Date.now() - started.getTime(),
    }
    return report
  } finally {
    failures.push(...(await clients.stop()))
    await redis?.stop()
    const leaked = children.killAll()
    if (leaked > 0) failures.push(`${leaked} child process(es) still running at the end: killed`)
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    process.off('exit', onExit)
  }
}
