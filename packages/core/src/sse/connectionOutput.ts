import type { OutboundQueue } from './outboundQueue.js'

/**
 * Where one connection's bytes go: a Node response's socket, or a Web ReadableStream's reader.
 * The connection writes while the output answers true; after a false it waits for the output to
 * call `resume()` (the socket drained, the reader asked again).
 */
export interface ConnectionOutput {
  /** The output calls the connection's close() when its consumer leaves (a socket's 'close'). */
  readonly reportsClose: boolean
  /** One encoded chunk, shared with every connection that sends it: never modified. */
  write(chunk: Uint8Array): boolean
  /** Everything queued, in order; empties the queue. */
  writeQueued(queue: OutboundQueue): boolean
  /** Ends after what was written. Called at most once, after which nothing is written. */
  end(): void
  /** Ends at once, dropping what is unsent: nobody reads it. Called at most once, as end(). */
  abort(error: Error): void
}
