import {
  initialProgressState,
  type ProgressClientError,
  type ProgressState,
  reduceProgress,
  subscribeProgress,
} from '@docspasta/progress-client'
import { type ConnectionView, describeConnection } from './describeConnection.js'
import { logEnvelope, logStatus } from './envelopeLog.js'

/**
 * One crawl on the page: its stream through @docspasta/progress-client (resume, backoff,
 * dedupe), its state through reduceProgress, and buttons that break things on purpose.
 */
export function followCrawl(crawlId: string, streamUrl: string, list: HTMLElement): void {
  // The card's markup is the page's <template id="crawl-card">.
  const template = document.getElementById('crawl-card') as HTMLTemplateElement
  const card = (template.content.cloneNode(true) as DocumentFragment)
    .firstElementChild as HTMLElement
  card.dataset.crawlId = crawlId
  list.prepend(card)
  const $ = (selector: string) => card.querySelector(selector) as HTMLElement
  $('.crawl-id').textContent = crawlId

  let state: ProgressState = initialProgressState
  let epochs = 0
  const connection: ConnectionView = {
    status: 'connecting',
    retryAt: null,
    error: null,
    ended: false,
  }

  const render = () => {
    const { discovered, processed, failed } = state.totals
    const done = processed + failed
    const percent = discovered === 0 ? 0 : Math.floor((done / discovered) * 100)
    $('.fill').style.width = `${percent}%`
    $('.percent').textContent = `${percent} %`
    for (const [name, value] of Object.entries({ done, discovered, processed, failed })) {
      $(`.${name}`).textContent = String(value)
    }
    card.dataset.status = state.status
    // Nothing left to break once the crawl is over.
    $('.actions').hidden = state.status === 'completed' || state.status === 'failed'
    card.dataset.connection = connection.status
    $('.connection').textContent = describeConnection(connection, Date.now())
    $('.outcome').textContent =
      state.status === 'completed'
        ? `completed: ${state.stats?.pages ?? done} pages`
        : state.status === 'failed'
          ? `failed: ${state.error?.code}: ${state.error?.message}`
          : state.status
    $('.recent').replaceChildren(
      ...state.recent.slice(-5).map((entry) => {
        const item = document.createElement('li')
        item.className = entry.outcome ?? ''
        item.textContent = `${entry.outcome ?? ''} ${entry.url ?? ''}${entry.message ? ` (${entry.message})` : ''}`
        return item
      }),
    )
  }

  // What happened to the crawl, newest last: a kill, then the takeover it caused.
  const notes: string[] = []
  const note = (text: string) => {
    notes.push(text)
    $('.note').hidden = false
    $('.note').textContent = notes.slice(-3).join(' → ')
  }

  // While waiting to reconnect, the countdown ticks; no timer otherwise.
  let ticker: ReturnType<typeof setInterval> | undefined
  const setRetryAt = (retryAt: number | null) => {
    connection.retryAt = retryAt
    clearInterval(ticker)
    ticker = retryAt === null ? undefined : setInterval(render, 250)
    render()
  }

  const subscription = subscribeProgress(streamUrl, {
    // A hidden tab lets go of its connection, and resumes where it was when shown again.
    pauseWhenHidden: true,
    onEvent: (envelope) => {
      logEnvelope(crawlId, envelope)
      if (envelope.type === 'snapshot' && envelope.epoch !== state.epoch && state.epoch !== null) {
        epochs += 1
        note(`restarted (${epochs}×): a worker took the crawl over and started it again`)
      }
      state = reduceProgress(state, envelope)
      render()
    },
    onStatus: (status) => {
      logStatus(crawlId, status)
      connection.status = status
      if (status === 'open') connection.error = null
      if (status !== 'reconnecting') setRetryAt(null)
      else render()
    },
    onRetry: (delayMs) => setRetryAt(Date.now() + delayMs),
    onError: (error: ProgressClientError) => {
      connection.error = error
      render()
    },
  })
  subscription.done.then(
    () => {
      connection.ended = true
      render()
    },
    () => render(),
  )

  card.addEventListener('click', async (event) => {
    const action = (event.target as HTMLElement).dataset.action
    if (!action) return
    try {
      const response = await fetch(`/api/crawls/${encodeURIComponent(crawlId)}/${action}`, {
        method: 'POST',
      })
      const body = (await response.json()) as { message?: string; error?: { message: string } }
      note(body.error ? `${action}: ${body.error.message}` : (body.message ?? action))
    } catch {
      // The server is away (killed, restarting): the connection line already says so.
      note(`${action}: the server did not answer`)
    }
  })
  render()
}
