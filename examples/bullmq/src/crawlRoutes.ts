import { randomUUID } from 'node:crypto'
import { type ProgressService, progressStreamPath } from '@docspasta/progress-core'
import express, { type Router } from 'express'
import { sendApiError } from './apiErrors.js'
import type { CrawlJobData } from './crawlQueue.js'
import { type CrawlRequest, InvalidCrawlRequestError, parseCrawlRequest } from './crawlRequest.js'

export interface CrawlRoutesOptions {
  progress: ProgressService
  /** Adds the crawl's job to the queue (BullMQ's queue.add in the server). */
  enqueue: (job: CrawlJobData) => Promise<void>
  onError: (error: unknown) => void
}

/** What `POST /api/crawls` answers with 201. */
export interface StartedCrawl {
  crawlId: string
  streamUrl: string
}

/**
 * `POST /api/crawls`: validates the body, starts the crawl in the progress store (so that its
 * stream answers at once), then queues its job. 400 for a bad body and 503 when Redis fails;
 * either way no job is queued.
 */
export function crawlRoutes({ progress, enqueue, onError }: CrawlRoutesOptions): Router {
  const router = express.Router()
  router.post('/api/crawls', express.json({ limit: '1kb' }), async (req, res) => {
    let request: CrawlRequest
    try {
      request = parseCrawlRequest(req.body)
    } catch (error) {
      if (!(error instanceof InvalidCrawlRequestError)) throw error
      const { code, message, field } = error
      sendApiError(res, 400, field === undefined ? { code, message } : { code, message, field })
      return
    }
    const crawlId = `crawl-${randomUUID()}`
    try {
      await progress.start(crawlId)
    } catch (error) {
      onError(error)
      sendApiError(res, 503, { code: 'unavailable', message: 'could not start the crawl' })
      return
    }
    try {
      const { pages, failAtPage } = request
      await enqueue(failAtPage === undefined ? { crawlId, pages } : { crawlId, pages, failAtPage })
    } catch (error) {
      onError(error)
      // No worker will ever run it: end it now rather than leave it running until its idle TTL.
      await progress
        .fail(crawlId, {
          code: 'enqueue-failed',
          message: 'the crawl was not queued',
          retryable: true,
        })
        .catch(onError)
      sendApiError(res, 503, { code: 'unavailable', message: 'could not queue the crawl' })
      return
    }
    res.status(201).json({ crawlId, streamUrl: progressStreamPath(crawlId) } satisfies StartedCrawl)
  })
  return router
}
