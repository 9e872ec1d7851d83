import { createServer, type Server } from 'node:http'
import type { Socket } from 'node:net'
import { childArgs, serveCommands } from '../process/childCommands.js'
import { ScheduleTicker } from '../publisher/scheduleTicker.js'
import type { PublishSchedule } from '../schedule.js'
import { ProcessMetrics } from './processMetrics.js'
import type { ServerKind, StreamBackend } from './streamBackend.js'

// One server of one kind in a process of its own, so that its CPU, GC and memory are its own.
// The runner drives it with commands (see the handlers below).

export interface ServerArgs {
  kind: ServerKind
  crawlIds: string[]
  redisUrl: string
  redisPrefix: string
}

// Each kind loads only its own code, so a bare server holds no SDK, better-sse or ioredis.
async function createBackend(args: ServerArgs): Promise<StreamBackend> {
  switch (args.kind) {
    case 'bare':
      return (await import('./bareBackend.js')).createBareBackend(args.crawlIds)
    case 'better-sse':
      return (await import('./betterSseBackend.js')).createBetterSseBackend(args.crawlIds)
    case 'sdk-memory':
      return (await import('./sdkBackend.js')).createSdkMemoryBackend(args.crawlIds)
    case 'sdk-redis':
    case 'sdk-redis-2p':
      return (await import('./sdkBackend.js')).createSdkRedisBackend(
        args.redisUrl,
        args.redisPrefix,
      )
  }
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    // A deep backlog, so that thousands of connects in a burst are not refused.
    server.listen({ host: '127.0.0.1', port: 0, backlog: 4096 }, () => {
      const address = server.address()
      resolve(typeof address === 'object' && address ? address.port : -1)
    })
  })
}

async function main(): Promise<void> {
  const args = childArgs<ServerArgs>()
  const metrics = new ProcessMetrics()
  const backend = await createBackend(args)
  const sockets = new Set<Socket>()
  const server = createServer((req, res) => backend.handle(req, res))
  server.keepAliveTimeout = 0
  server.requestTimeout = 0
  server.headersTimeout = 0
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  let ticker: ScheduleTicker | undefined

  serveCommands(
    {
      listen: () => listen(server),
      memory: () => ({ ...metrics.memory(), openSockets: sockets.size }),
      openSockets: () => sockets.size,
      sample: () => ({ ...metrics.sample(), ...ticker?.sample() }),
      peak: () => ({ peakRssBytes: metrics.peakRssBytes() }),
      startSchedule: (schedule) => {
        const { publishOne } = backend
        if (!publishOne) throw new Error(`${args.kind} does not publish in the server process`)
        ticker = new ScheduleTicker(schedule as PublishSchedule, publishOne)
        ticker.start()
      },
      stopSchedule: () => ticker?.stop(),
    },
    async () => {
      await ticker?.stop()
      await backend.close()
      server.closeAllConnections()
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      metrics.stop()
    },
  )
}

await main()
