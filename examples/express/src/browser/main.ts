import { progressStreamPath } from '@docspasta/progress-client/protocol'
import { followCrawl } from './crawlCard.js'

const list = document.getElementById('crawls') as HTMLElement
const problem = document.getElementById('problem') as HTMLElement

/** The crawls this page follows, in its address: the same address on another server follows them too. */
function followedCrawls(): string[] {
  return location.hash
    .slice(1)
    .split(',')
    .filter(Boolean)
    .flatMap((part) => {
      try {
        return [decodeURIComponent(part)]
      } catch {
        return [] // not one of ours: a hand-edited address
      }
    })
}

function follow(crawlId: string): void {
  followCrawl(crawlId, progressStreamPath(crawlId), list)
}

async function startCrawl(body: { failAtPage?: number }): Promise<void> {
  problem.textContent = ''
  const response = await fetch('/api/crawls', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  })
  const answer = (await response.json()) as { crawlId?: string; error?: { message: string } }
  if (!response.ok || !answer.crawlId) {
    problem.textContent = `Could not start a crawl: ${answer.error?.message ?? response.status}`
    return
  }
  location.hash = [...followedCrawls(), answer.crawlId].map(encodeURIComponent).join(',')
  follow(answer.crawlId)
}

for (const crawlId of followedCrawls()) follow(crawlId)
document.getElementById('start')?.addEventListener('click', () => void startCrawl({}))
document
  .getElementById('start-failing')
  ?.addEventListener('click', () => void startCrawl({ failAtPage: 30 }))
