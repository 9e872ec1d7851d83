/** Largest demo crawl: the page lists its pages, and each takes a pause. */
export const MAX_PAGES = 1_000

export interface CrawlRequest {
  pages: number
  failAtPage?: number
}

/** What is wrong with a request body, for a 400 answer. */
export class CrawlRequestError extends Error {
  readonly code = 'invalid-input'
}

/** Reads `{ pages?, failAtPage? }` from a POST body; throws CrawlRequestError on anything else. */
export function parseCrawlRequest(body: unknown, defaultPages: number): CrawlRequest {
  if (body === undefined || body === null) return { pages: defaultPages }
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new CrawlRequestError('the body must be a JSON object')
  }
  const { pages = defaultPages, failAtPage, ...rest } = body as Record<string, unknown>
  const unknown = Object.keys(rest)
  if (unknown.length > 0) throw new CrawlRequestError(`unknown field "${unknown[0]}"`)
  if (!isWholeNumber(pages, 1, MAX_PAGES)) {
    throw new CrawlRequestError(`pages must be a whole number from 1 to ${MAX_PAGES}`)
  }
  if (failAtPage === undefined) return { pages }
  if (!isWholeNumber(failAtPage, 1, pages)) {
    throw new CrawlRequestError(`failAtPage must be a whole number from 1 to pages (${pages})`)
  }
  return { pages, failAtPage }
}

function isWholeNumber(value: unknown, min: number, max: number): value is number {
  return Number.isInteger(value) && (value as number) >= min && (value as number) <= max
}
