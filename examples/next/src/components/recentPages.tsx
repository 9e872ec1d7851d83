import type { ProgressRecentEntry } from '@docspasta/progress-client'

/** The latest pages the crawl reported, newest first, each with its outcome. */
export function RecentPages({ recent }: { recent: readonly ProgressRecentEntry[] }) {
  if (recent.length === 0) return null
  return (
    <ol className="recent" id="recent">
      {[...recent].reverse().map((entry) => (
        <li key={entry.seq} data-outcome={entry.outcome ?? 'none'}>
          <span className={`badge badge-${entry.outcome ?? 'none'}`}>{entry.outcome ?? '—'}</span>
          <span className="url">{entry.url ?? '(no url)'}</span>
          {entry.message ? <span className="message">{entry.message}</span> : null}
        </li>
      ))}
    </ol>
  )
}
