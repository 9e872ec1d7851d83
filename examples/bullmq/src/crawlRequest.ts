/** What `POST /api/crawls` may ask for, once validated. */
export interface CrawlRequest {
  pages: number
  failAtPage: number | undefined
}

export const DEFAULT_PAGES = 40
export const MAX_PAGES = 500

/** A request body the server refuses (400); nothing was started or queued. */
export class InvalidCrawlRequestError extends Error {
  override name = 'InvalidCrawlRequestError'
  readonly code = 'invalid-request'

  constructor(
    message: string,
    /** The body field at fault, if one is. */
    readonly field?: string,
  ) {
    super(message)
  }
}

/**
 * Validates the optional JSON body `{ pages?, failAtPage? }`: `pages` from 1 to MAX_PAGES
 * (default DEFAULT_PAGES), `failAtPage` from 1 to `pages`. No body is the default crawl.
 */
export function parseCrawlRequest(body: unknown): CrawlRequest {
  if (body === undefined) return { pages: DEFAULT_PAGES, failAtPage: undefined }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidCrawlRequestError('the body must be a JSON object')
  }
  const fields = body as Record<string, unknown>
  const unknown = Object.keys(fields).find((key) => key !== 'pages' && key !== 'failAtPage')
  if (unknown !== undefined) {
    throw new InvalidCrawlRequestError(
      `unknown field "${unknown}": expected pages, failAtPage`,
      unknown,
    )
  }
  const pages = integerField(fields, 'pages', MAX_PAGES) ?? DEFAULT_PAGES
  const failAtPage = integerField(fields, 'failAtPage', pages)
  return { pages, failAtPage }
}

function integerField(
  fields: Record<string, unknown>,
  name: string,
  max: number,
): number | undefined {
  const value = fields[name]
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw new InvalidCrawlRequestError(`${name} must be an integer from 1 to ${max}`, name)
  }
  return value
}
