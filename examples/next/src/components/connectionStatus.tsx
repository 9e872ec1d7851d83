import type { UseProgressResult } from '@docspasta/progress-client/react'
import { useNow } from './useNow'

type ConnectionStatusProps = Pick<UseProgressResult, 'status' | 'error' | 'retryAt'> & {
  /** Whether the crawl reached its terminal event (a closed connection is then normal). */
  ended: boolean
}

/** The stream connection as a person reads it: connected, reconnecting in N s, paused, failed. */
export function ConnectionStatus({ status, error, retryAt, ended }: ConnectionStatusProps) {
  const now = useNow(retryAt !== null)
  return (
    <p className="connection" id="connection" data-connection={status}>
      <span className={`dot dot-${status}`} aria-hidden="true" />
      {describe(status, error, retryAt, now, ended)}
    </p>
  )
}

function describe(
  status: UseProgressResult['status'],
  error: UseProgressResult['error'],
  retryAt: number | null,
  now: number,
  ended: boolean,
): string {
  switch (status) {
    case 'idle':
      return 'not connected'
    case 'connecting':
      return 'connecting…'
    case 'open':
      return 'connected'
    case 'reconnecting': {
      // The reason is the client's last error: a dropped connection, a 503, a silent stream.
      const reason = error ? ` (${error.message})` : ''
      if (retryAt === null) return `reconnecting now${reason}`
      return `reconnecting in ${Math.max(0, Math.ceil((retryAt - now) / 1000))} s${reason}`
    }
    case 'paused':
      return 'paused while the tab is hidden'
    case 'closed':
      if (error?.fatal) return `failed: ${error.message}`
      return ended ? 'closed: the crawl ended' : 'closed'
  }
}
