import type { ServerResponse } from 'node:http'
import type { ConnectionOutput } from '../sse/connectionOutput.js'
import type { OutboundQueue } from '../sse/outboundQueue.js'
import type { ProgressConnection } from '../sse/progressConnection.js'
import { SSE_HEADERS } from '../sse/sseEncoding.js'

/**
 * A connection written straight to a node:http response: the bytes every connection shares go
 * to the socket as they are, with no stream, copy or promise per envelope. A write the socket
 * cannot take yet (`write()` answered false) makes the connection queue until 'drain'.
 */
class NodeResponseOutput implements ConnectionOutput {
  readonly reportsClose = true
  readonly #res: ServerResponse
  readonly #connection: ProgressConnection
  readonly #onDrain = () => this.#connection.resume()
  readonly #onClose = () => this.#connection.close()

  constructor(res: ServerResponse, connection: ProgressConnection) {
    this.#res = res
    this.#connection = connection
    res.on('drain', this.#onDrain)
    res.on('close', this.#onClose)
  }

  write(chunk: Uint8Array): boolean {
    if (this.#endedElsewhere()) return false
    return this.#res.write(chunk)
  }

  writeQueued(queue: OutboundQueue): boolean {
    if (this.#endedElsewhere()) return false
    // One writev for the lot, each chunk still the shared one.
    this.#res.cork()
    const writable = queue.writeEach((chunk) => this.#res.write(chunk))
    this.#res.uncork()
    return writable
  }

  end(): void {
    this.#detach()
    if (!this.#res.destroyed) this.#res.end()
  }

  abort(): void {
    // Nobody reads: drop the socket rather than wait for a drain that may never come.
    this.#detach()
    this.#res.destroy()
  }

  /**
   * Something else ended the response (a middleware's timeout, say): a write now would be an
   * 'error' event nobody listens to. The connection lets go instead.
   */
  #endedElsewhere(): boolean {
    if (!this.#res.writableEnded) return false
    this.#connection.close()
    return true
  }

  #detach(): void {
    this.#res.off('drain', this.#onDrain)
    this.#res.off('close', this.#onClose)
  }
}

/** Starts the 200 response and hands it to the open connection as its output. */
export function streamToNodeResponse(connection: ProgressConnection, res: ServerResponse): void {
  res.writeHead(200, SSE_HEADERS)
  connection.attach(new NodeResponseOutput(res, connection), { writable: true })
}
