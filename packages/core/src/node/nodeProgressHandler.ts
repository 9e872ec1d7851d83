import type { IncomingMessage, ServerResponse } from 'node:http'
import { type ConnectionAnswering, OPEN_CONNECTION } from '../sse/openConnection.js'
import type { ProgressStreamServer } from '../sse/progressStreamServer.js'
import { streamToNodeResponse } from './nodeResponseOutput.js'

/** Handles one node:http request; `crawlId` when the router parsed it (Express `req.params`). */
export type NodeProgressHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  crawlId?: string,
) => Promise<void>

/**
 * Adapts a ProgressStreamServer to node:http (Express, plain servers). Each envelope's bytes,
 * encoded once and shared, go straight to the socket while it takes them; once `write()` answers
 * false the connection queues (and compacts) until 'drain', so a slow client holds back only its
 * own stream; a client that stopped reading has its socket destroyed.
 *
 * @example
 * const handle = createNodeProgressHandler(createProgressStreamServer({ service }))
 * app.get(progressStreamRoute(), (req, res) => handle(req, res, req.params.crawlId))
 */
export function createNodeProgressHandler(server: ProgressStreamServer): NodeProgressHandler {
  // A server of this package answers with the open connection, written to the socket directly;
  // any other implementation of the interface gets its Response piped.
  const openConnection = (server as Partial<ConnectionAnswering>)[OPEN_CONNECTION]
  return async (req, res, crawlId) => {
    const aborted = new AbortController()
    const onClose = () => aborted.abort()
    res.once('close', onClose)
    try {
      const options = { signal: aborted.signal, ...(crawlId === undefined ? {} : { crawlId }) }
      const request = toWebRequest(req)
      const answer = openConnection
        ? await openConnection(request, options)
        : { response: await server.handle(request, options) }
      if (answer.connection) {
        // The client may have left while the stream was opening: the signal released it then.
        if (res.destroyed) answer.connection.close()
        else streamToNodeResponse(answer.connection, res)
        return
      }
      await writeResponse(answer.response, res)
    } finally {
      res.off('close', onClose)
    }
  }
}

/** A Response to node:http: an error or empty answer at once, a stream with backpressure. */
async function writeResponse(response: Response, res: ServerResponse): Promise<void> {
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
      // Ended elsewhere (a middleware): writing now would be an unheard 'error' event.
      if (done || res.destroyed || res.writableEnded) break
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
    if (res.destroyed || res.writableEnded) await reader.cancel().catch(() => undefined)
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
