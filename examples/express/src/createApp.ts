import { randomUUID } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import {
  createProgressStreamServer,
  type ProgressService,
  type ProgressStreamServer,
  type ProgressStreamServerOptions,
  progressStreamPath,
  progressStreamRoute,
} from '@docspasta/progress-core'
import { createNodeProgressHandler } from '@docspasta/progress-core/node'
import express, { type Express } from 'express'
import { runSimulatedCrawl, type SimulatedCrawlOptions } from './simulatedCrawl.js'

export interface CreateAppOptions {
  service: ProgressService
  /** Size and pace of each simulated crawl; default 120 pages, 4 workers, no pause. */
  crawl?: Omit<SimulatedCrawlOptions, 'service' | 'crawlId' | 'signal'>
  /** Tuning, `authorize` and limits of the SSE streams. */
  streams?: Omit<ProgressStreamServerOptions, 'service' | 'onError'>
  /** A crawl or a stream that failed after its response was sent. Default: console.error. */
  onError?: (error: unknown) => void
}

export interface ExpressExample {
  app: Express
  /** The SSE side; its diagnostics() count open connections, timers and queued bytes. */
  streams: ProgressStreamServer
  /** Aborts running crawls (each ends with an `error` envelope), then ends every open stream. */
  close(): Promise<void>
}

const indexHtml = fileURLToPath(new URL('../public/index.html', import.meta.url))

/** The example app: start a simulated crawl, stream its progress, and a page that shows it. */
export function createApp(options: CreateAppOptions): ExpressExample {
  const { service, onError = console.error } = options
  const streams = createProgressStreamServer({ ...options.streams, service, onError })
  const handleStream = createNodeProgressHandler(streams)
  const shutdown = new AbortController()
  const running = new Set<Promise<void>>()

  const crawlInBackground = (crawlId: string) => {
    const crawl = runSimulatedCrawl({ ...options.crawl, service, crawlId, signal: shutdown.signal })
      .then(() => undefined)
      .catch(async (error: unknown) => {
        onError(error)
        // The terminal event tells every open stream that this crawl is over.
        const message = error instanceof Error ? error.message : String(error)
        await service
          .fail(crawlId, { code: 'crawl-crashed', message, retryable: false })
          .catch(() => undefined)
      })
      .finally(() => running.delete(crawl))
    running.add(crawl)
  }

  const app = express()
  app.disable('x-powered-by')

  app.post('/api/crawls', async (_req, res) => {
    const crawlId = `crawl-${randomUUID()}`
    try {
      await service.start(crawlId)
    } catch (error) {
      onError(error)
      res.status(503).json({ error: { code: 'unavailable', message: 'could not start a crawl' } })
      return
    }
    crawlInBackground(crawlId)
    res.status(201).json({ crawlId, streamUrl: progressStreamPath(crawlId) })
  })

  // progressStreamRoute() is `<basePath>/:crawlId/stream`, as a literal type: Express types
  // req.params.crawlId from it. Express 5 passes a rejection on to its error handler.
  app.get(progressStreamRoute(), (req, res) => handleStream(req, res, req.params.crawlId))

  app.get('/', (_req, res) => res.sendFile(indexHtml))

  return {
    app,
    streams,
    async close() {
      shutdown.abort()
      await Promise.all(running)
      streams.close()
    },
  }
}
