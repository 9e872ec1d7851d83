'use client'

import { useState } from 'react'
import type { StartedCrawl } from '@/lib/crawlRequest'
import { CrawlProgress } from './crawlProgress'
import { type StartCrawlBody, startCrawl } from './startCrawl'

/** The page at which "Start failing crawl" makes the crawl crash (default crawls have 40). */
const FAILING_PAGE = 12

/** The two buttons, and the progress of the crawl they started last. */
export function CrawlDemo() {
  const [crawl, setCrawl] = useState<StartedCrawl | null>(null)
  const [starting, setStarting] = useState(false)
  const [startError, setStartError] = useState<string | null>(null)

  const start = async (body: StartCrawlBody) => {
    setStarting(true)
    setStartError(null)
    try {
      setCrawl(await startCrawl(body))
    } catch (error) {
      setStartError(error instanceof Error ? error.message : String(error))
    } finally {
      setStarting(false)
    }
  }

  return (
    <>
      <div className="actions">
        <button type="button" id="start-crawl" disabled={starting} onClick={() => start({})}>
          Start crawl
        </button>
        <button
          type="button"
          id="start-failing-crawl"
          disabled={starting}
          onClick={() => start({ failAtPage: FAILING_PAGE })}
        >
          Start failing crawl
        </button>
      </div>
      {startError ? (
        <p className="start-error" id="start-error" role="alert">
          Could not start a crawl: {startError}
        </p>
      ) : null}
      {crawl ? (
        // A new crawl is a new component: nothing of the previous one carries over.
        <CrawlProgress key={crawl.crawlId} crawl={crawl} />
      ) : (
        <p className="hint">Start a crawl to follow its progress here.</p>
      )}
    </>
  )
}
