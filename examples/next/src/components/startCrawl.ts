import type { CrawlRequestError, StartedCrawl } from '@/lib/crawlRequest'

/** What the page may ask of POST /api/crawls; the server fills in the rest. */
export interface StartCrawlBody {
  pages?: number
  failAtPage?: number
}

/** A crawl the server did not start: its status and the error body it answered with. */
export class StartCrawlError extends Error {
  readonly status: number
  readonly code: string

  constructor(status: number, code: string, message: string) {
    super(message)
    this.name = 'StartCrawlError'
    this.status = status
    this.code = code
  }
}

/** Starts a crawl and resolves with its id and stream URL; rejects with StartCrawlError. */
export async function startCrawl(body: StartCrawlBody): Promise<StartedCrawl> {
  const response = await fetch('/api/crawls', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  if (response.status === 201) return (await response.json()) as StartedCrawl
  const answer = (await response.json().catch(() => null)) as { error?: CrawlRequestError } | null
  throw new StartCrawlError(
    response.status,
    answer?.error?.code ?? 'http-status',
    answer?.error?.message ?? `the server answered ${response.status}`,
  )
}
