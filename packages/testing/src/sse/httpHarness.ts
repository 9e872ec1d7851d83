import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  createProgressStreamServer,
  type ProgressService,
  type ProgressStreamServer,
  type ProgressStreamServerOptions,
  progressStreamPath,
} from '@docspasta/progress-core'
import { createNodeProgressHandler } from '@docspasta/progress-core/node'

export interface ProgressHttpHarness {
  /** The stream URL of a crawl, from progressStreamPath (the route the examples serve). */
  url(crawlId: string): string
  streams: ProgressStreamServer
  http: Server
  /** Ends open streams and stops listening. */
  close(): Promise<void>
}

/**
 * How the harness answers: `node` writes each connection to its socket (the Node adapter's own
 * path); `web` pipes the Web Response that `handle()` returns, as every other runtime reads it.
 */
export type ProgressHttpTransport = 'node' | 'web'

/**
 * The same server seen as any other implementation of ProgressStreamServer (a wrapper of
 * handle(), say): the Node adapter pipes its Response instead of writing to the socket itself.
 */
export function asForeignStreamServer(streams: ProgressStreamServer): ProgressStreamServer {
  return {
    handle: (request, handleOptions) => streams.handle(request, handleOptions),
    diagnostics: () => streams.diagnostics(),
    close: () => streams.close(),
  }
}

/** A real node:http server on a loopback port that serves progress streams with the Node adapter. */
export async function startProgressHttpServer(
  service: ProgressService,
  options: Omit<ProgressStreamServerOptions, 'service'> = {},
  transport: ProgressHttpTransport = 'node',
): Promise<ProgressHttpHarness> {
  const streams = createProgressStreamServer({ service, ...options })
  const handle = createNodeProgressHandler(
    transport === 'node' ? streams : asForeignStreamServer(streams),
  )
  const http = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.destroy(error instanceof Error ? error : new Error(String(error)))
    })
  })
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  const { port } = http.address() as AddressInfo
  return {
    url: (crawlId) => `http://127.0.0.1:${port}${progressStreamPath(crawlId, options.basePath)}`,
    streams,
    http,
    async close() {
      streams.close()
      http.closeAllConnections()
      await new Promise<void>((resolve) => http.close(() => resolve()))
    },
  }
}
