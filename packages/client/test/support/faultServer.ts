import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** One scripted answer of the fault server. */
export type FaultStep =
  /** A plain response: any status, headers and body. */
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: string }
  /**
   * A 200 text/event-stream response that writes `chunks` (raw SSE text) in order, then ends
   * cleanly (`end`), cuts the connection mid-stream after the chunks (`drop`) or stays silent
   * (`stall`).
   */
  | { kind: 'stream'; chunks: string[]; after: 'end' | 'drop' | 'stall' }

export interface FaultServer {
  origin: string
  /** Scripts answer requests to `/script/<name>` in order; past the end, 410. */
  script(name: string, steps: FaultStep[]): string
  /** Request headers seen per script, in order. */
  requests(name: string): IncomingHttpHeaders[]
  /** Extra routes (the browser page, the client bundle). */
  route(path: string, body: string, contentType: string): void
  close(): Promise<void>
}

/** A real HTTP server on loopback that misbehaves on purpose, one script step per request. */
export async function startFaultServer(): Promise<FaultServer> {
  const scripts = new Map<string, { steps: FaultStep[]; seen: IncomingHttpHeaders[] }>()
  const routes = new Map<string, { body: string; contentType: string }>()
  const stalled = new Set<ServerResponse>()

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname
    const route = routes.get(path)
    if (route) {
      res.writeHead(200, { 'Content-Type': route.contentType })
      res.end(route.body)
      return
    }
    const script = scripts.get(path.replace(/^\/script\//, ''))
    if (!script) {
      res.writeHead(404).end()
      return
    }
    const step = script.steps[script.seen.length]
    script.seen.push(req.headers)
    if (!step) {
      res.writeHead(410).end()
      return
    }
    if (step.kind === 'status') {
      res.writeHead(step.status, step.headers)
      res.end(step.body)
      return
    }
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' })
    for (const chunk of step.chunks) res.write(chunk)
    if (step.after === 'end') res.end()
    else if (step.after === 'drop') {
      // A FIN without the chunked body's end: the client reads every byte written, then sees
      // the response cut short. A destroy() could reset the connection first, and a loaded
      // client would lose bytes it had not read yet.
      res.socket?.end()
    } else {
      stalled.add(res)
      res.on('close', () => stalled.delete(res))
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const origin = `http://127.0.0.1:${port}`
  return {
    origin,
    script(name, steps) {
      scripts.set(name, { steps, seen: [] })
      return `${origin}/script/${name}`
    },
    requests: (name) => scripts.get(name)?.seen ?? [],
    route(path, body, contentType) {
      routes.set(path, { body, contentType })
    },
    async close() {
      for (const res of stalled) res.destroy()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
