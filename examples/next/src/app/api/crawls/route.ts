import { randomUUID } from 'node:crypto'
import { progressStreamPath } from '@docspasta/progress-core'
import { parseCrawlRequest, type StartedCrawl } from '@/lib/crawlRequest'
import { progressBackend } from '@/lib/progress'

export const runtime = 'nodejs'
export const dynamic = 'force-dynamic'

/**
 * Starts a simulated crawl: `{ pages?, failAtPage? }` or no body. Answers 201 with the crawl's
 * stream URL, 400 with `{ error: { code, message } }` for a bad body (nothing started), 503 when
 * the store or the queue could not take the crawl.
 */
export async function POST(request: Request): Promise<Response> {
  const parsed = parseCrawlRequest(await request.text())
  if (!parsed.ok) return Response.json({ error: parsed.error }, { status: 400 })

  const backend = progressBackend()
  const crawlId = `crawl-${randomUUID()}`
  try {
    // Started before the answer, so the stream the client opens next finds the crawl.
    await backend.service.start(crawlId)
  } catch (error) {
    console.error(`crawl ${crawlId} could not be started:`, error)
    return unavailable()
  }
  try {
    await backend.runCrawl(crawlId, parsed.value)
  } catch (error) {
    console.error(`crawl ${crawlId} could not be queued:`, error)
    // Nobody will run it: end it, or it would wait for a worker until its idle TTL.
    await backend.service
      .fail(crawlId, {
        code: 'not-queued',
        message: 'the crawl could not be queued',
        retryable: true,
      })
      .catch((failError: unknown) =>
        console.error(`crawl ${crawlId} could not be failed:`, failError),
      )
    return unavailable()
  }
  const body: StartedCrawl = { crawlId, streamUrl: progressStreamPath(crawlId) }
  return Response.json(body, { status: 201 })
}

function unavailable(): Response {
  return Response.json(
    { error: { code: 'unavailable', message: 'the crawl could not be started; try again' } },
    { status: 503, headers: { 'Retry-After': '5' } },
  )
}
