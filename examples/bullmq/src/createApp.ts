import { fileURLToPath } from 'node:url'
import {
  type ProgressService,
  type ProgressStreamServer,
  progressStreamRoute,
} from '@docspasta/progress-core'
import { createNodeProgressHandler } from '@docspasta/progress-core/node'
import express, { type Express } from 'express'
import { apiErrorHandler } from './apiErrors.js'
import type { CrawlJobData } from './crawlQueue.js'
import { crawlRoutes } from './crawlRoutes.js'
import { PAGE_SCRIPT_PATH } from './pageScript.js'

export interface CreateAppOptions {
  progress: ProgressService
  /** The SSE side, shared by every request (it counts connections and closes them all). */
  streams: ProgressStreamServer
  enqueue: (job: CrawlJobData) => Promise<void>
  /** The page's bundled script. */
  pageScript: string
  /** What failed after a response could no longer say so, or a 500's cause. */
  onError: (error: unknown) => void
}

const INDEX_HTML = fileURLToPath(new URL('../public/index.html', import.meta.url))

/** The example's HTTP app: the page and its script, starting crawls, and their streams. */
export function createApp(options: CreateAppOptions): Express {
  const { progress, streams, enqueue, pageScript, onError } = options
  const handleStream = createNodeProgressHandler(streams)
  const app = express()
  app.disable('x-powered-by')

  app.get('/', (_req, res) => res.sendFile(INDEX_HTML))
  app.get(PAGE_SCRIPT_PATH, (_req, res) => {
    res.type('text/javascript').send(pageScript)
  })
  // Browsers ask for it unprompted; "no icon" is an answer, a 404 would be a console error.
  app.get('/favicon.ico', (_req, res) => res.status(204).end())

  app.use(crawlRoutes({ progress, enqueue, onError }))
  // progressStreamRoute() is `/api/crawl-v2/:crawlId/stream` as a literal type, from which
  // Express types req.params.crawlId. Express 5 passes a rejection on to the error handler.
  app.get(progressStreamRoute(), (req, res) => handleStream(req, res, req.params.crawlId))

  app.use(apiErrorHandler(onError))
  return app
}
