/** What POST /api/crawls accepts: a JSON object, or no body at all for the defaults. */
export interface CrawlRequest {
  /** Pages the simulated crawl finds in all. Default DEFAULT_CRAWL_PAGES. */
  pages: number
  /** The page at which the crawl crashes (for the demo of a failed crawl); none by default. */
  failAtPage: number | null
}

/** The 201 answer of POST /api/crawls. */
export interface StartedCrawl {
  crawlId: string
  /** progressStreamPath(crawlId): where the crawl's progress streams. */
  streamUrl: string
}

export const DEFAULT_CRAWL_PAGES = 40
export const MAX_CRAWL_PAGES = 500

/** The body of a 400 answer: a stable code and a message that says how to fix the request. */
export interface CrawlRequestError {
  code: 'invalid-json' | 'invalid-input'
  message: string
}

export type CrawlRequestResult =
  | { ok: true; value: CrawlRequest }
  | { ok: false; error: CrawlRequestError }

const KNOWN_FIELDS = new Set(['pages', 'failAtPage'])

function invalid(message: string): CrawlRequestResult {
  return { ok: false, error: { code: 'invalid-input', message } }
}

function isIntegerIn(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max
}

/**
 * Validates the text of a crawl request. Nothing is started for a request this rejects, so an
 * unknown field is an error too: a typo (`failAt`) would otherwise start a crawl that succeeds.
 */
export function parseCrawlRequest(text: string): CrawlRequestResult {
  if (text.trim() === '')
    return { ok: true, value: { pages: DEFAULT_CRAWL_PAGES, failAtPage: null } }
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    return { ok: false, error: { code: 'invalid-json', message: 'the body must be JSON' } }
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return invalid('the body must be a JSON object: { "pages"?: number, "failAtPage"?: number }')
  }
  const fields = body as Record<string, unknown>
  const unknown = Object.keys(fields).filter((key) => !KNOWN_FIELDS.has(key))
  if (unknown.length > 0) {
    return invalid(`unknown field ${unknown.join(', ')}: only "pages" and "failAtPage" are read`)
  }
  const pages = fields.pages ?? DEFAULT_CRAWL_PAGES
  if (!isIntegerIn(pages, 1, MAX_CRAWL_PAGES)) {
    return invalid(`"pages" must be an integer from 1 to ${MAX_CRAWL_PAGES}`)
  }
  const failAtPage = fields.failAtPage ?? null
  if (failAtPage !== null && !isIntegerIn(failAtPage, 1, pages)) {
    return invalid(`"failAtPage" must be an integer from 1 to "pages" (${pages})`)
  }
  return { ok: true, value: { pages, failAtPage } }
}
