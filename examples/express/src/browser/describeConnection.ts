import type { ProgressClientError, ProgressClientStatus } from '@docspasta/progress-client'

export interface ConnectionView {
  status: ProgressClientStatus
  /** When the next reconnect attempt starts, while waiting for it. */
  retryAt: number | null
  /** The latest problem: why it reconnects, or why it gave up. */
  error: ProgressClientError | null
  /** The crawl is over: the subscription closed after its terminal envelope. */
  ended: boolean
}

/** The connection's state in words: connected / reconnecting in N s / paused / failed, why. */
export function describeConnection(view: ConnectionView, now: number): string {
  const reason = view.error ? ` (${view.error.message})` : ''
  switch (view.status) {
    case 'connecting':
      return 'connecting…'
    case 'open':
      return 'connected'
    case 'paused':
      return 'paused while this tab is hidden'
    case 'reconnecting': {
      const seconds = view.retryAt === null ? 0 : Math.ceil((view.retryAt - now) / 1000)
      return seconds > 0 ? `reconnecting in ${seconds} s${reason}` : `reconnecting…${reason}`
    }
    case 'closed':
      return view.ended ? 'closed: the crawl is over' : `failed${reason}`
  }
}
