// The page's script: starts a crawl, follows it with @docspasta/progress-client and shows it.
// Bundled for the browser by the server (src/pageScript.ts); the client only, no zod, no Node.
import {
  initialProgressState,
  type ProgressClientError,
  type ProgressState,
  type ProgressSubscriptionHandle,
  reduceProgress,
  subscribeProgress,
} from '@docspasta/progress-client'
import { type CrawlView, createCrawlView } from './crawlView.js'
import { logEnvelope, logError, logStatus, resetLogs } from './subscriptionLog.js'

/** What `POST /api/crawls` answers: 201 with the crawl, or an error body. */
type StartAnswer =
  | { crawlId: string; streamUrl: string }
  | { error: { code: string; message: string } }

/** The failing crawl's crashing page, unless the page's URL names one (`?failAtPage=`). */
const DEFAULT_FAIL_AT_PAGE = 5

function isFinished(state: ProgressState): boolean {
  return state.status === 'completed' || state.status === 'failed'
}

/** Shows one crawl at a time: a new one closes the subscription of the one before. */
function mountCrawlPage(view: CrawlView, query: URLSearchParams) {
  let subscription: ProgressSubscriptionHandle | undefined

  const follow = (crawlId: string, streamUrl: string) => {
    subscription?.close()
    resetLogs()
    view.reset(crawlId)
    let state = initialProgressState
    let restarts = 0
    let reason: string | undefined
    view.render(state, restarts)
    subscription = subscribeProgress(streamUrl, {
      // Reconnects within seconds once the server is back (default: up to 30 s).
      backoff: { maxMs: 5_000 },
      onEvent: (envelope) => {
        logEnvelope(envelope)
        // A retry of the job (or its re-run after a dead worker) restarted the crawl: a new
        // epoch, counted from zero.
        if (envelope.type === 'snapshot' && envelope.resync) restarts += 1
        state = reduceProgress(state, envelope)
        view.render(state, restarts)
      },
      onStatus: (status) => {
        logStatus(status)
        if (status === 'reconnecting') view.connection({ state: status, reason })
        else if (status === 'connecting' || status === 'open') view.connection({ state: status })
        // Closed after the terminal envelope; after a fatal error, onError has shown it already.
        else if (status === 'closed' && isFinished(state)) view.connection({ state: status })
      },
      onRetry: (delayMs) => view.connection({ state: 'reconnecting', delayMs, reason }),
      onError: (error: ProgressClientError) => {
        reason = error.message.replace(/^@docspasta\/progress-client: /, '')
        logError(reason)
        if (error.fatal) view.connection({ state: 'failed', reason })
      },
    })
  }

  const start = async (failing: boolean) => {
    view.requestError(undefined)
    const body: Record<string, number> = {}
    const pages = query.get('pages')
    if (pages !== null) body.pages = Number(pages)
    if (failing) body.failAtPage = Number(query.get('failAtPage') ?? DEFAULT_FAIL_AT_PAGE)
    try {
      const response = await fetch('/api/crawls', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
      const answer = (await response.json()) as StartAnswer
      if ('error' in answer) view.requestError(`${answer.error.code}: ${answer.error.message}`)
      else follow(answer.crawlId, answer.streamUrl)
    } catch (error) {
      view.requestError(`could not start a crawl: ${String(error)}`)
    }
  }

  return { start }
}

const page = mountCrawlPage(createCrawlView(document), new URLSearchParams(location.search))
document.getElementById('start')?.addEventListener('click', () => page.start(false))
document.getElementById('start-failing')?.addEventListener('click', () => page.start(true))
