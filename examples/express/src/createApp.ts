import { randomUUID } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import {
  createProgressStreamServer,
  isProgressError,
  type ProgressErrorInfo,
  type ProgressService,
  type ProgressStreamServer,
  type ProgressStreamServerOptions,
  parseCrawlId,
  progressStreamPath,
  progressStreamRoute,
} from '@docspasta/progress-core'
import { createNodeProgressHandler } from '@docspasta/progress-core/node'
import express, { type ErrorRequestHandler, type Express } from 'express'
import type { CrawlJobTable } from './crawlJobTable.js'
import { CrawlWorkerPool, type CrawlWorkerPoolOptions } from './crawlWorkerPool.js'
import { CrawlRequestError, parseCrawlRequest } from './parseCrawlRequest.js'
import { StreamSockets } from './streamSockets.js'

export interface CreateAppOptions {
  service: ProgressService
  /** Where crawls wait for a worker; shared by every server on one Redis. */
  jobs: CrawlJobTable
  /** The page's script: bundleBrowserApp(). */
  browserApp: string
  /** This server's workers: their pace, count, attempts and lease. */
  workers: Omit<CrawlWorkerPoolOptions, 'service' | 'jobs' | 'onError'>
  /** Pages of a crawl whose request names none. Default 120. */
  defaultPages?: number
  /** Tuning, `authorize` and limits of the SSE streams. */
  streams?: Omit<ProgressStreamServerOptions, 'service' | 'onError'>
  /**
   * On close, give running crawls back to the job table for another server to take over (Redis)
   * instead of failing them (memory: nobody else could finish them). Default false.
   */
  handOverOnClose?: boolean
  /** What failed after its answer was sent. Default console.error. */
  onError?: (error: unknown) => void
}

export interface DemoApp {
  app: Express
  /** The SSE side; its diagnostics() count open connections, timers and queued bytes. */
  streams: ProgressStreamServer
  workers: CrawlWorkerPool
  /**
   * Stops the workers (their crawls handed over, or failed with `server-shutdown` so that every
   * stream gets its terminal), then ends the streams still open.
   */
  close(): Promise<void>
}

/** The terminal of a crawl whose server stopped with nobody to take it over. */
const SHUTDOWN_ERROR: ProgressErrorInfo = {
  code: 'server-shutdown',
  message: 'the demo server shut down before the crawl finished',
  retryable: true,
}

const NOT_QUEUED: ProgressErrorInfo = {
  code: 'not-queued',
  message: 'the crawl could not be queued for a worker',
  retryable: true,
}

const FAILED_FROM_PAGE: ProgressErrorInfo = {
  code: 'failed-from-page',
  message: 'someone pressed "Fail crawl"',
  retryable: false,
}

const indexHtml = fileURLToPath(new URL('../public/index.html', import.meta.url))

/** The demo: start crawls, stream them, break them on purpose, and the page that shows it all. */
export function createApp(options: CreateAppOptions): DemoApp {
  const { service, jobs, onError = console.error, defaultPages = 120 } = options
  const streams = createProgressStreamServer({ ...options.streams, service, onError })
  const handleStream = createNodeProgressHandler(streams)
  const sockets = new StreamSockets()
  const workers = new CrawlWorkerPool({ ...options.workers, service, jobs, onError })
  workers.start()

  const app = express()
  app.disable('x-powered-by')

  app.post('/api/crawls', express.json(), async (req, res) => {
    const request = parseCrawlRequest(req.body, defaultPages)
    const crawlId = `crawl-${randomUUID()}`
    await service.start(crawlId)
    try {
      await jobs.add({ crawlId, ...request })
    } catch (error) {
      // No worker will ever claim it: end it now rather than leave it running until its TTL.
      await service.fail(crawlId, NOT_QUEUED).catch(onError)
      throw error
    }
    workers.wake()
    res.status(201).json({ crawlId, streamUrl: progressStreamPath(crawlId) })
  })

  // progressStreamRoute() is `<basePath>/:crawlId/stream`, as a literal type: Express types
  // req.params.crawlId from it. Express 5 passes a rejection on to its error handler.
  app.get(progressStreamRoute(), (req, res) => {
    sockets.add(req.params.crawlId, res)
    return handleStream(req, res, req.params.crawlId)
  })

  // Which crawls this server's workers run now (with Redis, any server may run any crawl).
  app.get('/api/workers', (_req, res) => {
    res.json({ server: workers.owner, running: workers.runningCrawls() })
  })

  // The page's buttons. Each says what it did, in words the page shows.
  app.post('/api/crawls/:crawlId/cut', (req, res) => {
    const cut = sockets.cut(parseCrawlId(req.params.crawlId))
    res.json({ message: `cut ${cut} connection${cut === 1 ? '' : 's'} of this server` })
  })
  app.post('/api/crawls/:crawlId/kill-worker', (req, res) => {
    if (!workers.kill(parseCrawlId(req.params.crawlId))) {
      res.status(409).json({
        error: { code: 'not-running-here', message: 'no worker of this server runs this crawl' },
      })
      return
    }
    res.json({
      message:
        'killed the worker: another takes the crawl over when its lease lapses, if any attempt is left',
    })
  })
  app.post('/api/crawls/:crawlId/fail', async (req, res) => {
    const crawlId = parseCrawlId(req.params.crawlId)
    const closed = await service.fail(crawlId, FAILED_FROM_PAGE)
    // Nobody runs it again: a waiting job's next attempt would restart the failed crawl.
    await jobs.remove(crawlId)
    res.json({ message: closed ? 'failed the crawl' : 'the crawl was already over' })
  })

  app.get('/app.js', (_req, res) => res.type('text/javascript').send(options.browserApp))
  app.get('/', (_req, res) => res.sendFile(indexHtml))
  app.use(answerErrors(onError))

  return {
    app,
    streams,
    workers,
    async close() {
      try {
        await workers.stop({ handOver: options.handOverOnClose ?? false })
        if (!options.handOverOnClose) {
          // Nobody else can finish them, running or waiting: each open stream gets its terminal.
          const crawlIds = await jobs.crawlIds()
          await Promise.all(
            crawlIds.map(async (crawlId) => {
              await service.fail(crawlId, SHUTDOWN_ERROR).catch(onError)
              await jobs.remove(crawlId)
            }),
          )
        }
      } finally {
        // Even when the store is down: every response still ends whole.
        streams.close()
      }
    },
  }
}

/** Errors as `{ error: { code, message } }` with a status; never a stack trace. */
function answerErrors(onError: (error: unknown) => void): ErrorRequestHandler {
  return (error, _req, res, next) => {
    // Too late for an answer of its own (a stream had begun): Express ends the response.
    if (res.headersSent) return next(error)
    const answer = (status: number, code: string, message: string) =>
      res.status(status).json({ error: { code, message } })
    if (error instanceof CrawlRequestError) return answer(400, error.code, error.message)
    if (isProgressError(error) && error.code === 'invalid-input') {
      return answer(400, error.code, error.message)
    }
    if (isProgressError(error) && error.code === 'crawl-not-found') {
      return answer(404, error.code, error.message)
    }
    // express.json(): a body that is not JSON, or more than its 100 kB.
    const { type } = error as { type?: string }
    if (type === 'entity.parse.failed') {
      return answer(400, 'invalid-json', 'the body is not valid JSON')
    }
    if (type === 'entity.too.large') return answer(413, 'too-large', 'the body is too large')
    onError(error)
    return answer(503, 'unavailable', 'the demo could not do that now; try again')
  }
}
