import { CrawlClosedError, type ProgressError } from './errors.js'
import type {
  CompleteStats,
  EventEnvelope,
  ProgressDelta,
  ProgressErrorInfo,
  ProgressInput,
  ProgressTotals,
} from './events.js'
import type {
  EnvelopeHandler,
  ProgressService,
  ProgressServiceDiagnostics,
  ProgressSnapshot,
  ProgressSubscription,
  SubscribeOptions,
} from './service.js'
import {
  parseCrawlId,
  parseDelta,
  parseErrorInfo,
  parseInput,
  parseInputs,
  parseResumePosition,
  parseStats,
} from './validate.js'

/** A validated resume position. */
export interface ResumePosition {
  afterSeq?: number
  epoch?: string
}

/**
 * The public surface of a ProgressService, validating every argument before a backend sees it,
 * so that every backend rejects bad input the same way and writes nothing. A backend implements
 * the protected methods, which receive only validated values.
 */
export abstract class ProgressServiceBase implements ProgressService {
  async start(crawlId: string): Promise<ProgressSnapshot> {
    return this.startCrawl(parseCrawlId(crawlId))
  }

  async publish(crawlId: string, input: ProgressInput): Promise<EventEnvelope> {
    const id = parseCrawlId(crawlId)
    const [envelope] = await this.append(id, [parseInput(input)])
    return envelope as EventEnvelope
  }

  async publishBatch(crawlId: string, inputs: readonly ProgressInput[]): Promise<EventEnvelope[]> {
    const id = parseCrawlId(crawlId)
    return this.append(id, parseInputs(inputs))
  }

  async increment(crawlId: string, delta: ProgressDelta): Promise<ProgressTotals> {
    const id = parseCrawlId(crawlId)
    const [envelope] = await this.append(id, [{ type: 'progress', delta: parseDelta(delta) }])
    return (envelope as EventEnvelope).totals
  }

  async complete(crawlId: string, stats: CompleteStats = {}): Promise<boolean> {
    const id = parseCrawlId(crawlId)
    return this.finish(id, { type: 'complete', stats: parseStats(stats) })
  }

  async fail(crawlId: string, error: ProgressErrorInfo): Promise<boolean> {
    const id = parseCrawlId(crawlId)
    return this.finish(id, { type: 'error', error: parseErrorInfo(error) })
  }

  async subscribe(
    crawlId: string,
    handler: EnvelopeHandler,
    options: SubscribeOptions = {},
  ): Promise<ProgressSubscription> {
    const id = parseCrawlId(crawlId)
    return this.subscribeFrom(id, handler, parseResumePosition(options), options.onError)
  }

  async getSnapshot(crawlId: string): Promise<ProgressSnapshot | null> {
    return this.readSnapshot(parseCrawlId(crawlId))
  }

  async cleanup(crawlId: string): Promise<boolean> {
    return this.remove(parseCrawlId(crawlId))
  }

  abstract close(): Promise<void>
  abstract diagnostics(): ProgressServiceDiagnostics

  /** The terminal check-and-set: true for the caller whose terminal input closed the crawl. */
  protected async finish(crawlId: string, input: ProgressInput): Promise<boolean> {
    try {
      await this.append(crawlId, [input])
      return true
    } catch (error) {
      if (error instanceof CrawlClosedError) return false
      throw error
    }
  }

  protected abstract startCrawl(crawlId: string): Promise<ProgressSnapshot>
  /** Appends validated inputs atomically; CrawlNotFoundError / CrawlClosedError write nothing. */
  protected abstract append(crawlId: string, inputs: ProgressInput[]): Promise<EventEnvelope[]>
  protected abstract subscribeFrom(
    crawlId: string,
    handler: EnvelopeHandler,
    position: ResumePosition,
    onError: ((error: ProgressError) => void) | undefined,
  ): Promise<ProgressSubscription>
  protected abstract readSnapshot(crawlId: string): Promise<ProgressSnapshot | null>
  protected abstract remove(crawlId: string): Promise<boolean>
}
