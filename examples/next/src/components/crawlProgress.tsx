'use client'

import { useProgress } from '@docspasta/progress-client/react'
import type { StartedCrawl } from '@/lib/crawlRequest'
import { ConnectionStatus } from './connectionStatus'
import { CrawlOutcome } from './crawlOutcome'
import { logEnvelope } from './envelopeLog'
import { ProgressBar } from './progressBar'
import { RecentPages } from './recentPages'

/** Options of the stream, the same for every render (the hook reads them once per url). */
const STREAM_OPTIONS = {
  onEvent: logEnvelope,
  // A hidden tab holds no connection; it resumes from its last event when shown again.
  pauseWhenHidden: true,
  // A demo server restarts in seconds: keep the longest wait between reconnects short.
  backoff: { maxMs: 5_000 },
}

/**
 * One crawl's progress, followed with useProgress: the bar, the counts, the connection, the
 * outcome and the latest pages. The data attributes hold the same values for tests.
 */
export function CrawlProgress({ crawl }: { crawl: StartedCrawl }) {
  const { state, status, error, retryAt } = useProgress(crawl.streamUrl, STREAM_OPTIONS)
  const { discovered, processed, failed } = state.totals
  const percent = discovered === 0 ? 0 : Math.floor(((processed + failed) / discovered) * 100)
  const ended = state.status === 'completed' || state.status === 'failed'
  return (
    <section
      className="crawl"
      id="crawl"
      aria-live="polite"
      data-crawl-id={crawl.crawlId}
      data-status={state.status}
      data-connection={status}
      data-discovered={discovered}
      data-processed={processed}
      data-failed={failed}
      data-percent={percent}
      data-seq={state.seq}
      data-error-code={state.error?.code}
    >
      <h2>
        Crawl <code>{crawl.crawlId}</code>
      </h2>
      <ProgressBar percent={percent} />
      <p className="counts" id="counts">
        {discovered} discovered · {processed} processed · {failed} failed
      </p>
      <ConnectionStatus status={status} error={error} retryAt={retryAt} ended={ended} />
      <CrawlOutcome state={state} />
      <RecentPages recent={state.recent} />
    </section>
  )
}
