import { parseCrawlId } from './validate.js'

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
  return `${base}/${encodeURIComponent(parseCrawlId(crawlId))}/stream`
}

/**
 * The route pattern for routers with `:param` syntax (Express, Hono, Fastify), built from the
 * same base path as progressStreamPath().
 *
 * @example
 * app.get(progressStreamRoute(), handler) // '/api/crawl-v2/:crawlId/stream'
 */
export function progressStreamRoute(basePath = DEFAULT_PROGRESS_BASE_PATH): string {
  const base = basePath.endsWith('/') ? basePath.slice(0, -1) : basePath
  return `${base}/:crawlId/stream`
}
