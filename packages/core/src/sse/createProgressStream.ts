import type { ProgressService } from '../service.js'
import { parseCrawlId } from '../validate.js'
import {
  ProgressConnection,
  type ProgressStreamTuning,
  resolveStreamTuning,
} from './progressConnection.js'
import {
  createProgressStreamServer,
  type ProgressStreamServerOptions,
} from './progressStreamServer.js'
import { encodeEnvelope, parseLastEventId } from './sseEncoding.js'

export interface CreateProgressStreamOptions extends ProgressStreamTuning {
  /** The position to resume after (`<epoch>:<seq>:<tag>`); malformed or absent: snapshot. */
  lastEventId?: string | null
  /** Aborting it ends the stream and releases the subscription. */
  signal?: AbortSignal
  /** Problems after the stream started. Default: console.error. */
  onError?: (error: unknown) => void
}

/**
 * The SSE bytes of one crawl as a Web ReadableStream, for any runtime. The crawl id is checked
 * at once (ProgressValidationError); an unknown crawl or a store failure errors the stream. For
 * status codes, authorization and connection limits use createProgressStreamServer().
 *
 * @example
 * return new Response(createProgressStream(service, crawlId, { lastEventId }), { headers: SSE_HEADERS })
 */
export function createProgressStream(
  service: ProgressService,
  crawlId: string,
  options: CreateProgressStreamOptions = {},
): ReadableStream<Uint8Array> {
  const id = parseCrawlId(crawlId)
  const connection = new ProgressConnection(
    service,
    id,
    { tuning: resolveStreamTuning(options), signal: options.signal },
    {
      encode: encodeEnvelope,
      onClosed: () => {},
      onError: options.onError ?? console.error,
      onTimers: () => {},
    },
  )
  // A failed open errors the stream itself; the reader sees it there.
  connection.open(parseLastEventId(options.lastEventId)).catch(() => undefined)
  return connection.stream
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
    crawlId?: string
  } = {},
): Promise<Response> {
  const { crawlId, ...serverOptions } = options
  return createProgressStreamServer({ service, ...serverOptions }).handle(
    request,
    crawlId === undefined ? {} : { crawlId },
  )
}
