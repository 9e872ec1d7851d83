import type { ProgressState } from '@docspasta/progress-client'

/** How the crawl ended (completed, or failed with its code and message), or that it runs. */
export function CrawlOutcome({ state }: { state: ProgressState }) {
  if (state.status === 'completed') {
    const { processed, failed } = state.totals
    return (
      <p className="outcome outcome-completed" id="outcome" data-outcome="completed">
        Completed: {processed + failed} pages, {failed} of them failed.
      </p>
    )
  }
  if (state.status === 'failed' && state.error) {
    return (
      <p className="outcome outcome-failed" id="outcome" data-outcome="failed" role="alert">
        Failed: <code id="outcome-code">{state.error.code}</code>{' '}
        <span id="outcome-message">{state.error.message}</span>
      </p>
    )
  }
  return (
    <p className="outcome" id="outcome" data-outcome="none">
      {state.status === 'idle' ? 'Waiting for the first event…' : 'Running…'}
    </p>
  )
}
