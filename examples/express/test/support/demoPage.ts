import type { Page } from '@docspasta/browser-testing'
import type { LoggedEnvelope } from '../../src/browser/envelopeLog.js'

export interface CardState {
  status: string
  connection: string
  discovered: number
  processed: number
  failed: number
  outcome: string
  connectionText: string
  note: string
}

/** Clicks a start button and returns the id of the crawl card it added. */
export async function startCrawlFromPage(page: Page, button: '#start' | '#start-failing') {
  const before = await page.locator('.crawl').count()
  await page.click(button)
  await page.waitForFunction((n) => document.querySelectorAll('.crawl').length > n, before)
  return (await page.locator('.crawl').first().getAttribute('data-crawl-id')) as string
}

export function card(page: Page, crawlId: string) {
  return page.locator(`.crawl[data-crawl-id="${crawlId}"]`)
}

export async function readCard(page: Page, crawlId: string): Promise<CardState> {
  return card(page, crawlId).evaluate((element: HTMLElement) => {
    const text = (selector: string) => element.querySelector(selector)?.textContent ?? ''
    return {
      status: element.dataset.status ?? '',
      connection: element.dataset.connection ?? '',
      discovered: Number(text('.discovered')),
      processed: Number(text('.processed')),
      failed: Number(text('.failed')),
      outcome: text('.outcome'),
      connectionText: text('.connection'),
      note: text('.note'),
    }
  })
}

/** Waits until the card's status is `status` (completed, failed, …). */
export async function waitForStatus(page: Page, crawlId: string, status: string, timeout = 60_000) {
  await page.waitForFunction(
    ([id, wanted]) =>
      document.querySelector<HTMLElement>(`.crawl[data-crawl-id="${id}"]`)?.dataset.status ===
      wanted,
    [crawlId, status] as const,
    { timeout },
  )
}

/** Waits until the card shows at least `pages` pages done. */
export async function waitForPagesDone(page: Page, crawlId: string, pages: number) {
  await page.waitForFunction(
    ([id, wanted]) =>
      Number(document.querySelector(`.crawl[data-crawl-id="${id}"] .done`)?.textContent) >= wanted,
    [crawlId, pages] as const,
    { timeout: 30_000 },
  )
}

export async function connectionStatuses(page: Page, crawlId: string): Promise<string[]> {
  return page.evaluate(
    (id) => (window as { demoStatuses?: Record<string, string[]> }).demoStatuses?.[id] ?? [],
    crawlId,
  )
}

/** Every envelope the card received, in order: see expectEachSeqOnceInOrder. */
export async function envelopeLog(page: Page, crawlId: string): Promise<LoggedEnvelope[]> {
  return page.evaluate(
    (id) =>
      (window as { demoEnvelopes?: Record<string, LoggedEnvelope[]> }).demoEnvelopes?.[id] ?? [],
    crawlId,
  )
}
