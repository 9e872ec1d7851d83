import type { ProgressEnvelope } from '../events.js'
import type { ProgressService } from '../service.js'
import { parseCrawlId } from '../validate.js'
import {
  ProgressConnection,
  type ProgressStreamTuning,
  resolveStreamTuning,
  streamPreamble,
} from './progressConnection.js'
import {
  createProgressStreamServer,
  type ProgressStreamServerOptions,
} from './progressStreamServer.js'
import { connectionReadableStream } from './readableStreamOutput.js'
import { encodeEnvelope, parseLastEventId, type StreamPosition } from './sseEncoding.js'

export interface CreateProgressStreamOptions extends ProgressStreamTuning {
  /** The position to resume after (`<epoch>:<seq>:<tag>`); malformed or absent: snapshot. */
  lastEventId?: string | null | undefined
  /** Aborting it ends the stream and releases the subscription. */
  signal?: AbortSignal | undefined
  /** Problems after the stream started. Default: console.error. */
  onError?: ((error: unknown) => void) | undefined
}

/**
 * The SSE bytes of one crawl as a Web ReadableStream, for any runtime, once the crawl is known
 * to exist. Rejects before any byte: ProgressValidationError for an invalid crawl id,
 * CrawlNotFoundError (`crawl-not-found`, answer 404) for an unknown crawl, ProgressBackendError
 * when the store fails (answer 503). A client that already holds the terminal envelope gets it
 * again (never an empty stream, after which an EventSource would reconnect forever). For status
 * codes, authorization, HEAD and connection limits use createProgressStreamServer().
 *
 * @example
 * const stream = await createProgressStream(service, crawlId, { lastEventId, signal: request.signal })
 * return new Response(stream, { headers: SSE_HEADERS })
 */
export async function createProgressStream(
  service: ProgressService,
  crawlId: string,
  options: CreateProgressStreamOptions = {},
): Promise<ReadableStream<Uint8Array>> {
  const id = parseCrawlId(crawlId)
  const tuning = resolveStreamTuning(options)
  const preamble = streamPreamble(tuning)
  const hooks = {
    encode: encodeEnvelope,
    prepare: (envelope: ProgressEnvelope) => ({ bytes: encodeEnvelope(envelope), at: Date.now() }),
    onClosed: () => {},
    onError: options.onError ?? console.error,
    onTimers: () => {},
  }
  const open = async (position: StreamPosition | undefined) => {
    const connection = new ProgressConnection(
      service,
      id,
      { tuning, preamble, signal: options.signal },
      hooks,
    )
    await connection.open(position)
    return connection
  }
  const position = parseLastEventId(options.lastEventId)
  const connection = await open(position)
  if (!connection.isExhausted || !position) return connectionReadableStream(connection)
  // The position is the terminal envelope's: replay from just before it. Its tag was checked by
  // the first open; the one before it is not known here, and not needed.
  connection.close()
  const replay = await open({ epoch: position.epoch, seq: position.seq - 1 })
  return connectionReadableStream(replay)
}

/**
 * One Response for one request, with every check of createProgressStreamServer() except the
 * connection limit, which needs a server shared across requests.
 *
 * @example
 * // app/api/crawl-v2/[crawlId]/stream/route.ts (Next.js 15: params is a Promise)
 * export async function GET(request: Request, { params }: { params: Promise<{ crawlId: string }> }) {
 *   return progressResponse(service, request, { crawlId: (await params).crawlId })
 * }
 */
export function progressResponse(
  service: ProgressService,
  request: Request,
  options: Omit<ProgressStreamServerOptions, 'service' | 'maxConnections'> & {
    crawlId?: string | undefined
  } = {},
): Promise<Response> {
  const { crawlId, ...serverOptions } = options
  return createProgressStreamServer({ service, ...serverOptions }).handle(request, { crawlId })
}
