import type { ProgressConnection } from './progressConnection.js'
import type { HandleOptions } from './progressStreamServer.js'

/**
 * What a stream server decided for one request: a Response (an error, 204, HEAD), or an open
 * connection that still needs its output.
 */
export type ConnectionAnswer =
  | { response: Response; connection?: undefined }
  | { response?: undefined; connection: ProgressConnection }

/**
 * The key of a stream server's answer before any Web stream is made, for the Node adapter to
 * write to its socket directly. From the global registry: the adapter's entry is bundled apart
 * from the server's, and each bundle has its own module copies.
 */
export const OPEN_CONNECTION: unique symbol = Symbol.for('@docspasta/progress-core.openConnection')

/** A stream server that can answer with the connection itself. */
export interface ConnectionAnswering {
  [OPEN_CONNECTION]: (request: Request, options?: HandleOptions) => Promise<ConnectionAnswer>
}
