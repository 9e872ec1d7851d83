import { ProgressValidationError } from './errors.js'
import { CRAWL_ID_PATTERN, CRAWL_ID_RULE } from './limits.js'

// The same check as validate.ts's parseCrawlId, without zod: browsers build stream URLs too.
function checkCrawlId(crawlId: string): string {
  if (typeof crawlId === 'string' && CRAWL_ID_PATTERN.test(crawlId)) return crawlId
  throw new ProgressValidationError([{ path: 'crawlId', message: CRAWL_ID_RULE }])
}

/** Where the progress stream routes live unless an app chooses otherwise. */
export const DEFAULT_PROGRESS_BASE_PATH = '/api/crawl-v2'

/**
 * The single source of a crawl's stream URL path, used by the server route, the client and the
 * tests alike, so they can never disagree.
 *
 * @param crawlId - a valid crawl id (throws ProgressValidationError otherwise)
 * @param basePath - the mount point, default `/api/crawl-v2`
 * @example
 * progressStreamPath('crawl-42') // '/api/crawl-v2/crawl-42/stream'
 */
export function progressStreamPath(crawlId: string, basePath = DEFAULT_PROGRESS_BASE_PATH): string {
  const base = basePath.endsWith('/') ? basePath.slice(0, -1) : basePath
  return `${base}/${encodeURIComponent(checkCrawlId(crawlId))}/stream`
}

/** A base path without its trailing slash, as a type. */
type TrimmedBase<B extends string> = B extends `${infer Base}/` ? Base : B

/** The route pattern of a base path, as a literal type routers read parameters from. */
export type ProgressStreamRoute<B extends string = typeof DEFAULT_PROGRESS_BASE_PATH> =
  `${TrimmedBase<B>}/:crawlId/stream`

/**
 * The route pattern for routers with `:param` syntax (Express, Hono), built from the same base
 * path as progressStreamPath(). Its type is the literal pattern, so Express and Hono type
 * `crawlId` as a route parameter without an explicit generic.
 *
 * @example
 * app.get(progressStreamRoute(), handler) // '/api/crawl-v2/:crawlId/stream'
 */
export function progressStreamRoute<B extends string = typeof DEFAULT_PROGRESS_BASE_PATH>(
  basePath: B = DEFAULT_PROGRESS_BASE_PATH as B,
): ProgressStreamRoute<B> {
  const base = basePath.endsWith('/') ? basePath.slice(0, -1) : basePath
  return `${base}/:crawlId/stream` as ProgressStreamRoute<B>
}
