import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ProgressStreamServer } from '../sse/progressStreamServer.js'

/** Handles one node:http request; `crawlId` when the router parsed it (Express `req.params`). */
export type NodeProgressHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  crawlId?: string,
) => Promise<void>

/**
 * Adapts a ProgressStreamServer to node:http (Express, plain servers). It reads the next chunk
 * only after the socket took the last one (`write() === false` waits for 'drain'), so a slow
 * client holds back the stream instead of filling memory; a stream released because its client
 * stopped reading destroys the socket.
 *
 * @example
 * const handle = createNodeProgressHandler(createProgressStreamServer({ service }))
 * app.get(progressStreamRoute(), (req, res) => handle(req, res, req.params.crawlId))
 */
export function createNodeProgressHandler(server: ProgressStreamServer): NodeProgressHandler {
  return async (req, res, crawlId) => {
    const aborted = new AbortController()
    const onClose = () => aborted.abort()
    res.once('close', onClose)
    try {
      const response = await server.handle(toWebRequest(req), {
        signal: aborted.signal,
        ...(crawlId === undefined ? {} : { crawlId }),
      })
      if (res.destroyed) {
        await response.body?.cancel()
        return
      }
      res.writeHead(response.status, Object.fromEntries(response.headers))
      if (response.status !== 200 || !response.body) {
        res.end(Buffer.from(await response.arrayBuffer()))
        return
      }
      res.flushHeaders()
      await pipeWithBackpressure(response.body, res)
    } finally {
      res.off('close', onClose)
    }
  }
}

async function pipeWithBackpressure(
  body: ReadableStream<Uint8Array>,
  res: ServerResponse,
): Promise<void> {
  const reader = body.getReader()
  // The stream can end (or error) while nothing reads it: a wait for 'drain' must end then too.
  const end: StreamEnd = { ended: false, notify: undefined }
  const onEnd = () => {
    end.ended = true
    end.notify?.()
  }
  reader.closed.then(onEnd, onEnd)
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done || res.destroyed) break
      if (res.write(value)) continue
      // The next read tells how the stream ended, if it did: closed (end the response after
      // what the socket holds) or errored.
      await drainedOrEnded(res, end)
    }
  } catch {
    // The stream errored (released because the client stopped reading): end the socket now
    // instead of waiting for a drain that may never come. The client resumes from its last id.
    res.destroy()
  } finally {
    if (res.destroyed) await reader.cancel().catch(() => undefined)
    else res.end()
    reader.releaseLock()
  }
}

/** Whether the stream ended, and the one wait to tell: a slot, not a listener per wait. */
interface StreamEnd {
  ended: boolean
  notify: (() => void) | undefined
}

function drainedOrEnded(res: ServerResponse, end: StreamEnd): Promise<void> {
  return new Promise((resolve) => {
    if (end.ended) {
      resolve()
      return
    }
    const done = () => {
      end.notify = undefined
      res.off('drain', done)
      res.off('close', done)
      resolve()
    }
    end.notify = done
    res.on('drain', done)
    res.on('close', done)
  })
}

/**
 * The parts of the request a ProgressStreamServer reads: path, query, headers. The abort signal
 * travels beside it rather than inside it, so no dependent signal is made per connection.
 */
function toWebRequest(req: IncomingMessage): Request {
  const headers = new Headers()
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue
    for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item)
  }
  // A fixed origin: the Host header is client input and plays no part in routing here.
  return new Request(new URL(req.url ?? '/', 'http://localhost'), {
    method: req.method ?? 'GET',
    headers,
  })
}
