import type { launchChromium } from '@docspasta/browser-testing'
import type { EnvelopeLogEntry } from '../../src/browser/subscriptionLog.js'

type Browser = Awaited<ReturnType<typeof launchChromium>>
export type Page = Awaited<ReturnType<Browser['newPage']>>

/** Long enough for a busy 2-core machine; each wait ends as soon as its condition holds. */
export const WAIT_MS = 45_000

/** What the page shows, read from its ids and data attributes, and its logs. */
export interface CrawlPageReading {
  crawlId: string
  status: string
  percent: string
  discovered: number
  processed: number
  failed: number
  outcome: string
  errorCode: string
  restarts: number
  restartedNote: string | undefined
  connection: string
  connectionText: string
  recentOutcomes: string[]
  envelopes: EnvelopeLogEntry[]
  statuses: string[]
  errors: string[]
}

export function readCrawlPage(page: Page): Promise<CrawlPageReading> {
  return page.evaluate(() => {
    const element = (id: string) => {
      const found = document.getElementById(id)
      if (!found) throw new Error(`no #${id}`)
      return found
    }
    const text = (id: string) => element(id).textContent ?? ''
    const restarted = element('restarted')
    return {
      crawlId: text('crawl-id'),
      status: element('crawl').dataset.status ?? '',
      percent: text('percent'),
      discovered: Number(text('discovered')),
      processed: Number(text('processed')),
      failed: Number(text('failed')),
      outcome: text('outcome'),
      errorCode: element('outcome').dataset.errorCode ?? '',
      restarts: Number(restarted.dataset.restarts),
      restartedNote: restarted.hidden ? undefined : (restarted.textContent ?? ''),
      connection: element('connection').dataset.connection ?? '',
      connectionText: text('connection'),
      recentOutcomes: [...element('recent').children].map(
        (li) => (li as HTMLElement).dataset.outcome ?? '',
      ),
      envelopes: window.__envelopes,
      statuses: window.__statuses,
      errors: window.__errors,
    }
  })
}

/** Clicks a start button; resolves with the crawl id the page then shows. */
export async function startCrawl(page: Page, button: '#start' | '#start-failing'): Promise<string> {
  await page.click(button)
  const id = await page.waitForFunction(
    () => document.getElementById('crawl-id')?.textContent || undefined,
    undefined,
    { timeout: WAIT_MS },
  )
  return (await id.jsonValue()) as string
}

/** Waits until the page counts at least `count` finished pages (processed or failed). */
export async function waitForFinishedPages(page: Page, count: number): Promise<void> {
  await page.waitForFunction(
    (least) => {
      const number = (id: string) => Number(document.getElementById(id)?.textContent)
      return number('processed') + number('failed') >= least
    },
    count,
    { timeout: WAIT_MS },
  )
}

/** Waits until the page shows the crawl completed or failed. */
export async function waitForCrawlEnd(page: Page): Promise<void> {
  await page.waitForFunction(
    () => ['completed', 'failed'].includes(document.getElementById('crawl')?.dataset.status ?? ''),
    undefined,
    { timeout: WAIT_MS },
  )
}

/** Waits until the page's connection line is in `state` (a data-connection value). */
export async function waitForConnection(page: Page, state: string): Promise<void> {
  await page.waitForFunction(
    (wanted) => document.getElementById('connection')?.dataset.connection === wanted,
    state,
    { timeout: WAIT_MS },
  )
}
