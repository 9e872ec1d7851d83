import type { ConnectionOutput } from './connectionOutput.js'
import type { ProgressConnection } from './progressConnection.js'

/**
 * A connection as a Web ReadableStream (Next.js, Hono, Bun, Deno, createProgressStream). It is
 * pulled: bytes go out only when the reader asks, so the connection's queue, not the stream's,
 * holds what is unsent and can compact. Each chunk is the reader's own copy: a default stream
 * hands chunks over by reference, and a runtime that transfers what it reads (into a byte
 * stream) would otherwise detach the bytes every other connection shares.
 */
export function connectionReadableStream(
  connection: ProgressConnection,
): ReadableStream<Uint8Array> {
  let controller: ReadableStreamDefaultController<Uint8Array> | undefined
  const output: ConnectionOutput = {
    // The stream's cancel() does, but a runtime may only abort the request's signal.
    reportsClose: false,
    write(chunk) {
      controller?.enqueue(chunk.slice())
      return false
    },
    writeQueued(queue) {
      controller?.enqueue(queue.take())
      return false
    },
    end() {
      controller?.close()
    },
    abort(error) {
      controller?.error(error)
    },
  }
  const stream = new ReadableStream<Uint8Array>(
    {
      start(started) {
        controller = started
      },
      pull() {
        connection.resume()
      },
      cancel() {
        // The reader let go: nothing may touch the controller any more.
        controller = undefined
        connection.close()
      },
    },
    // Pull only when the reader reads: one read, one chunk.
    { highWaterMark: 0 },
  )
  connection.attach(output, { writable: false })
  return stream
}
