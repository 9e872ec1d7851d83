import { writeFileSync } from 'node:fs'
import {
  createProgressReporter,
  MemoryProgressService,
  type ProgressService,
} from '@docspasta/progress-core'
import { RedisProgressService } from '@docspasta/progress-redis'
import { Redis } from 'ioredis'
import { ChildRegistry } from '../harness/process/childRegistry.js'
import { startBenchRedis } from '../harness/process/redisServer.js'
import { formatWithBiome } from '../harness/report/writeResults.js'

// Usage (after `pnpm build`): pnpm --filter @docspasta/bench reporter [--out FILE]
// 10 workers × 500 page reports on one crawl, each worker yielding between pages as real work
// does: single increment() (or publish() with a detail) per page against one reporter per
// worker. Prints round trips (service calls; Redis: script calls by commandstats), envelopes
// stored and wall time, median of 3 runs each, on memory and on the bench's own redis-server.

const WORKERS = 10
const CALLS = 500
const RUNS = 3
/** Per page, the work between two reports: a turn of the event loop, or 1 ms of waiting. */
const PACES_MS = [0, 1] as const

type Mode = 'increment' | 'publish+detail' | 'reporter' | 'reporter+detail'
const MODES: readonly Mode[] = ['increment', 'publish+detail', 'reporter', 'reporter+detail']

interface Row {
  backend: string
  paceMs: number
  mode: Mode
  wallMs: number
  serviceCalls: number
  scriptCalls: number | undefined
  envelopes: number
}

/** Counts the calls that reach the store (one round trip each on Redis). */
function countingService(service: ProgressService, counter: { calls: number }): ProgressService {
  const counted = new Set(['publish', 'publishBatch', 'increment', 'heartbeat', 'complete'])
  return new Proxy(service, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver)
      if (typeof value !== 'function') return value
      return (...args: unknown[]) => {
        if (counted.has(String(property))) counter.calls += 1
        return value.apply(target, args)
      }
    },
  })
}

const pageWork = (paceMs: number) =>
  new Promise<void>((resolve) =>
    paceMs === 0 ? setImmediate(resolve) : setTimeout(resolve, paceMs),
  )

async function worker(
  service: ProgressService,
  crawlId: string,
  mode: Mode,
  id: number,
  paceMs: number,
) {
  const url = (page: number) => `https://docs.example.com/w${id}/page-${page}`
  if (mode === 'increment' || mode === 'publish+detail') {
    for (let page = 0; page < CALLS; page++) {
      if (mode === 'increment') await service.increment(crawlId, { processed: 1 })
      else {
        const detail = { url: url(page), outcome: 'processed' as const }
        await service.publish(crawlId, { type: 'progress', delta: { processed: 1 }, detail })
      }
      await pageWork(paceMs)
    }
    return
  }
  const reporter = createProgressReporter(service, crawlId)
  for (let page = 0; page < CALLS; page++) {
    if (mode === 'reporter') reporter.processed(1)
    else reporter.processed(1, { url: url(page), outcome: 'processed' })
    await pageWork(paceMs)
  }
  await reporter.close()
}

async function scriptCalls(redis: Redis): Promise<number> {
  const info = await redis.info('commandstats')
  let calls = 0
  for (const match of info.matchAll(/cmdstat_(evalsha|eval):calls=(\d+)/g))
    calls += Number(match[2])
  return calls
}

async function measure(
  backend: string,
  make: () => ProgressService,
  mode: Mode,
  paceMs: number,
  run: number,
  redis: Redis | undefined,
): Promise<Row> {
  const inner = make()
  const counter = { calls: 0 }
  const service = countingService(inner, counter)
  const crawlId = `reporter-${mode.replace('+', '-')}-${paceMs}-${run}-${Date.now()}`
  await inner.start(crawlId)
  const scriptsBefore = redis ? await scriptCalls(redis) : 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: WORKERS }, (_, id) => worker(service, crawlId, mode, id, paceMs)),
  )
  const wallMs = performance.now() - started
  const scripts = redis ? (await scriptCalls(redis)) - scriptsBefore : undefined
  const snapshot = await inner.getSnapshot(crawlId)
  if (snapshot?.totals.processed !== WORKERS * CALLS) {
    throw new Error(`${backend} ${mode}: processed ${snapshot?.totals.processed}, not exact`)
  }
  await inner.cleanup(crawlId)
  await inner.close()
  return {
    backend,
    paceMs,
    mode,
    wallMs,
    serviceCalls: counter.calls,
    scriptCalls: scripts,
    envelopes: snapshot.seq,
  }
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number

const children = new ChildRegistry()
const benchRedis = await startBenchRedis(children)
const rows: Row[] = []
try {
  const redis = benchRedis ? new Redis(benchRedis.url) : undefined
  const backends: [string, () => ProgressService, Redis | undefined][] = [
    ['memory', () => new MemoryProgressService(), undefined],
  ]
  if (redis) {
    backends.push([
      'redis',
      () => new RedisProgressService({ redis, prefix: 'bench:reporter' }),
      redis,
    ])
  }
  for (const [backend, make, connection] of backends) {
    // One unrecorded run of each mode first: JIT and connections warm, as in a worker that runs.
    for (const mode of MODES) await measure(backend, make, mode, 0, -1, connection)
    for (const paceMs of PACES_MS)
      for (const mode of MODES) {
        const runs: Row[] = []
        for (let run = 0; run < RUNS; run++) {
          runs.push(await measure(backend, make, mode, paceMs, run, connection))
        }
        const row = runs[0] as Row
        rows.push({
          ...row,
          wallMs: median(runs.map((r) => r.wallMs)),
          serviceCalls: median(runs.map((r) => r.serviceCalls)),
          scriptCalls: connection ? median(runs.map((r) => r.scriptCalls ?? 0)) : undefined,
          envelopes: median(runs.map((r) => r.envelopes)),
        })
        console.error(
          `[reporter] ${backend} ${paceMs} ms ${mode}: ${rows.at(-1)?.wallMs.toFixed(0)} ms`,
        )
      }
  }
  await redis?.quit()
} finally {
  await benchRedis?.stop()
  children.killAll()
}

const lines = [
  `${WORKERS} workers × ${CALLS} page reports on one crawl, median of ${RUNS} runs (node ${process.version}).`,
  '',
  '| backend | work per page | calls | wall ms | round trips | envelopes stored |',
  '| --- | --- | --- | --- | --- | --- |',
  ...rows.map(
    (row) =>
      `| ${row.backend} | ${row.paceMs === 0 ? 'one loop turn' : `${row.paceMs} ms`} | ${row.mode} | ${row.wallMs.toFixed(0)} | ${row.scriptCalls ?? row.serviceCalls} | ${row.envelopes} |`,
  ),
]
const table = lines.join('\n')
console.log(table)
const outAt = process.argv.indexOf('--out')
if (outAt > 0) {
  const out = process.argv[outAt + 1] as string
  writeFileSync(out, `${table}\n`)
  formatWithBiome([out])
}
