import { progressBackend } from '@/lib/progress'

// The path is progressStreamPath(crawlId) with the default base path, /api/crawl-v2, which is
// also what the client is handed by POST /api/crawls.
export const runtime = 'nodejs'
export const dynamic = 'force-dynamic'

/**
 * The crawl's progress as Server-Sent Events. Next.js answers HEAD with this handler too (and
 * drops the body); handle() sees the method and answers HEAD without opening a stream.
 */
export async function GET(
  request: Request,
  { params }: { params: Promise<{ crawlId: string }> },
): Promise<Response> {
  const { crawlId } = await params
  return progressBackend().streams.handle(request, { crawlId })
}
