import { fileURLToPath } from 'node:url'
import type { ClientArgs, OpenArgs, OpenResult } from './client/clientMain.js'
import type { BenchChild, ChildRegistry } from './process/childRegistry.js'
import type { BenchRedis } from './process/redisServer.js'
import type { PublisherArgs } from './publisher/publisherMain.js'
import type { Timings } from './scenarios.js'
import type { ServerArgs } from './server/serverMain.js'
import { onRedis, type ServerKind, serverProcessesOf } from './server/streamBackend.js'

// What every run needs: the processes of one server kind (server, clients, the Redis publisher)
// started and connected, and torn down with a leak check.

export const CLIENT_PROCESSES = 2

export interface RunContext {
  children: ChildRegistry
  redis: BenchRedis | undefined
  timings: Timings
  /** A tag unique to this run, for crawl ids and the Redis key prefix. */
  runTag: string
  /** The client processes, shared by every run of the bench (they are reset between runs). */
  clients: ClientPool
  log(line: string): void
}

export interface RunProcesses {
  /** One server process, or several sharing one Redis (sdk-redis-2p). */
  servers: BenchChild[]
  clients: BenchChild[]
  publisher: BenchChild | undefined
  /** The servers' ports, in the same order. */
  ports: number[]
}

const script = (path: string) => fileURLToPath(new URL(path, import.meta.url))
const SERVER_SCRIPT = script('./server/serverMain.ts')
const CLIENT_SCRIPT = script('./client/clientMain.ts')
const PUBLISHER_SCRIPT = script('./publisher/publisherMain.ts')

/**
 * Starts the server processes (and on Redis the publisher, which starts the crawls) and the
 * clients. Fills `into` as it goes, so that the caller can stop whatever started if a later step
 * fails.
 */
export async function startProcesses(
  context: RunContext,
  kind: ServerKind,
  crawlIds: string[],
  into: Partial<RunProcesses>,
): Promise<RunProcesses> {
  const redisUrl = context.redis?.url ?? ''
  const redisPrefix = `docspasta-bench:${context.runTag}`
  // All processes start at once; only the connects wait for the crawls to exist.
  const crawlsStarted = async () => {
    if (!onRedis(kind)) return
    const args: PublisherArgs = { crawlIds, redisUrl, redisPrefix }
    into.publisher = context.children.fork(`publisher-${context.runTag}`, PUBLISHER_SCRIPT, args)
    await into.publisher.request('startCrawls')
  }
  const serverArgs: ServerArgs = { kind, crawlIds, redisUrl, redisPrefix }
  const servers = Array.from({ length: serverProcessesOf(kind) }, (_, index) =>
    context.children.fork(`server-${kind}-${index}`, SERVER_SCRIPT, serverArgs, {
      exposeGc: true,
    }),
  )
  into.servers = servers
  into.clients = context.clients.ready()
  const [ports] = await Promise.all([
    Promise.all(servers.map((server) => server.request<number>('listen'))),
    crawlsStarted(),
    ...into.clients.map((client) => client.request('ready')),
  ])
  into.ports = ports
  return { servers, clients: into.clients, publisher: into.publisher, ports }
}

/** One command to every server process, answers summed field by field (CPU, memory, GC). */
export async function sumOfServers<T extends object>(
  processes: RunProcesses,
  command: string,
): Promise<T> {
  const answers = await Promise.all(processes.servers.map((s) => s.request<T>(command)))
  const sum: Record<string, unknown> = { ...answers[0] }
  for (const answer of answers.slice(1)) {
    for (const [key, value] of Object.entries(answer)) {
      if (typeof value === 'number') sum[key] = (sum[key] as number) + value
    }
  }
  return sum as T
}

/**
 * The two client processes, started once per bench: a run only resets them, which keeps process
 * start-up (tsx) out of every run. A client that failed is replaced before the next run.
 */
export class ClientPool {
  private clients: BenchChild[] = []

  constructor(private readonly children: ChildRegistry) {}

  ready(): BenchChild[] {
    const args: ClientArgs = { connectConcurrency: 200 }
    this.clients = Array.from({ length: CLIENT_PROCESSES }, (_, index) => {
      const client = this.clients[index]
      return client && !client.failure()
        ? client
        : this.children.fork(`client-${index}`, CLIENT_SCRIPT, args)
    })
    return this.clients
  }

  /** Stops the clients; returns failures (a client that failed or had to be killed). */
  async stop(): Promise<string[]> {
    const failures: string[] = []
    await Promise.all(
      this.clients.map(async (client) => {
        const failure = client.failure()
        if (failure) failures.push(failure)
        if (!(await client.exit())) failures.push(`${client.name} did not exit: killed`)
      }),
    )
    return failures
  }
}

/** Opens `viewersPerCrawl` connections to every crawl, split over the client processes. */
export async function openConnections(
  processes: RunProcesses,
  crawlIds: string[],
  viewersPerCrawl: number,
): Promise<{ opened: number; failed: number; firstFailure: string | undefined; ms: number }> {
  const shares: OpenArgs['targets'][] = processes.clients.map(() => [])
  let connection = 0
  for (let viewer = 0; viewer < viewersPerCrawl; viewer++) {
    for (const [crawl, crawlId] of crawlIds.entries()) {
      const path = `/api/crawl-v2/${encodeURIComponent(crawlId)}/stream`
      shares[connection % shares.length]?.push({ crawl, path })
      connection += 1
    }
  }
  // With several server processes, each client process connects to one of them.
  const results = await Promise.all(
    processes.clients.map((client, index) =>
      client.request<OpenResult>('open', {
        port: processes.ports[index % processes.ports.length],
        targets: shares[index],
      }),
    ),
  )
  return {
    opened: results.reduce((sum, r) => sum + r.opened, 0),
    failed: results.reduce((sum, r) => sum + r.failed, 0),
    firstFailure: results.find((r) => r.firstFailure)?.firstFailure,
    ms: Math.max(...results.map((r) => r.ms)),
  }
}

/**
 * Stops every process of the run: clients first (so the server sees its connections close),
 * then the server, then the publisher (which removes the run's Redis keys). Returns failures:
 * children that failed during the run, or that had to be killed because they did not exit.
 */
export async function stopProcesses(processes: Partial<RunProcesses>): Promise<string[]> {
  const failures: string[] = []
  const stop = async (child: BenchChild | undefined) => {
    if (!child) return
    const failure = child.failure()
    if (failure) failures.push(failure)
    if (!(await child.exit()))
      failures.push(`${child.name} (pid ${child.pid}) did not exit: killed`)
  }
  // Clients drop their connections and counts; the server goes; the publisher last, since its
  // cleanup ends any open stream.
  await Promise.all([
    ...(processes.clients ?? []).map((client) =>
      client.request('reset').catch((error: unknown) => {
        failures.push(
          `${client.name} reset: ${error instanceof Error ? error.message : String(error)}`,
        )
      }),
    ),
    ...(processes.servers ?? []).map(stop),
  ])
  if (processes.publisher && !processes.publisher.failure()) {
    await processes.publisher.request('cleanup').catch((error: unknown) => {
      failures.push(`publisher cleanup: ${error instanceof Error ? error.message : String(error)}`)
    })
  }
  await stop(processes.publisher)
  return failures
}
