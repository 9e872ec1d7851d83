import type { ProgressRecentEntry, ProgressState } from '@docspasta/progress-client'

/** What the connection line says; `failed` is a fatal error, after which nothing reconnects. */
export type ConnectionView =
  | { state: 'connecting' | 'open' }
  | { state: 'reconnecting'; delayMs?: number; reason?: string }
  | { state: 'closed' }
  | { state: 'failed'; reason: string }

/** The crawl section of the page; every value a test reads is also a data attribute or id. */
export interface CrawlView {
  /** Shows a new crawl, empty. */
  reset(crawlId: string): void
  render(state: ProgressState, restarts: number): void
  connection(view: ConnectionView): void
  /** A refused request (`code: message`), or none. */
  requestError(message: string | undefined): void
}

export function createCrawlView(doc: Document): CrawlView {
  const byId = (id: string) => {
    const element = doc.getElementById(id)
    if (!element) throw new Error(`the page has no #${id}`)
    return element
  }
  const section = byId('crawl')
  const bar = byId('bar') as HTMLProgressElement
  const recent = byId('recent')
  const restarted = byId('restarted')
  const outcome = byId('outcome')
  const connection = byId('connection')
  const requestError = byId('request-error')
  const text = (id: string, value: string | number) => {
    byId(id).textContent = String(value)
  }
  // reduceProgress keeps the same array while no detail came in: the list is rebuilt only then.
  let shownRecent: ProgressState['recent'] | undefined

  return {
    reset(crawlId) {
      section.hidden = false
      text('crawl-id', crawlId)
      recent.replaceChildren()
      shownRecent = undefined
    },
    render(state, restarts) {
      const { discovered, processed, failed } = state.totals
      const percent = discovered === 0 ? 0 : Math.floor((100 * (processed + failed)) / discovered)
      section.dataset.status = state.status
      bar.value = percent
      text('percent', `${percent} %`)
      text('discovered', discovered)
      text('processed', processed)
      text('failed', failed)
      restarted.hidden = restarts === 0
      restarted.dataset.restarts = String(restarts)
      restarted.textContent = `Restarted by a retry (${restarts}×): the counts started over.`
      outcome.dataset.outcome = state.status
      outcome.dataset.errorCode = state.error?.code ?? ''
      outcome.textContent = outcomeText(state)
      if (state.recent !== shownRecent) {
        shownRecent = state.recent
        recent.replaceChildren(...state.recent.map((entry) => recentItem(doc, entry)).reverse())
      }
    },
    connection(view) {
      connection.dataset.connection = view.state
      connection.textContent = connectionText(view)
    },
    requestError(message) {
      requestError.hidden = message === undefined
      requestError.textContent = message ?? ''
    },
  }
}

/** The crawl's end: its stats, or its error's code and message (a stack never reaches a page). */
function outcomeText({ stats, error }: ProgressState): string {
  if (stats) {
    const entries = Object.entries(stats).map(([key, value]) => `${key} ${JSON.stringify(value)}`)
    return `Completed: ${entries.join(', ')}`
  }
  return error ? `Failed: ${error.code}: ${error.message}` : ''
}

function connectionText(view: ConnectionView): string {
  switch (view.state) {
    case 'connecting':
      return 'connecting…'
    case 'open':
      return 'connected'
    case 'reconnecting': {
      const wait = view.delayMs === undefined ? '…' : ` in ${Math.ceil(view.delayMs / 1000)} s`
      return `reconnecting${wait}${view.reason ? ` (${view.reason})` : ''}`
    }
    case 'closed':
      return 'closed: the crawl ended'
    case 'failed':
      return `failed: ${view.reason}`
  }
}

/** One recent page, newest first in the list: its outcome, url and message. */
function recentItem(doc: Document, entry: ProgressRecentEntry): HTMLLIElement {
  const item = doc.createElement('li')
  const badge = doc.createElement('span')
  badge.className = `outcome ${entry.outcome ?? ''}`
  badge.textContent = entry.outcome ?? ''
  item.dataset.outcome = entry.outcome ?? ''
  item.append(badge, ` ${entry.url ?? ''}${entry.message ? ` (${entry.message})` : ''}`)
  return item
}
