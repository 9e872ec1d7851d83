import {
  CrawlClosedError,
  CrawlNotFoundError,
  type ProgressError,
  ProgressValidationError,
} from './errors.js'
import {
  type CompleteStats,
  type EventEnvelope,
  isTerminalEnvelope,
  type ProgressDelta,
  type ProgressErrorInfo,
  type ProgressInput,
  type ProgressTotals,
} from './events.js'
import { CallTokens } from './randomTokens.js'
import type {
  EnvelopeHandler,
  HeartbeatOptions,
  ProgressService,
  ProgressServiceDiagnostics,
  ProgressSnapshot,
  ProgressSubscription,
  PublishOptions,
  RestartOptions,
  StallSweepResult,
  SubscribeOptions,
} from './service.js'
import type { StallCheckOutcome } from './stall/stallWatch.js'
import {
  measureInputs,
  parseCrawlId,
  parseDelta,
  parseEpochOption,
  parseErrorInfo,
  parseInput,
  parseInputs,
  parseOperationId,
  parseResumePosition,
  parseStats,
  parseSubscribeCallbacks,
} from './validate.js'

/** A validated resume position. */
export interface ResumePosition {
  afterSeq?: number | undefined
  epoch?: string | undefined
  tag?: string | undefined
}

/** One state-changing call, as every backend's append() receives it. */
export interface AppendOperation {
  /**
   * The caller's operation id, if given. A backend whose client may re-send a call (Redis) makes
   * one per call when there is none, never per attempt.
   */
  id: string | undefined
  /** The call's random tag; each envelope's tag derives from it and the envelope's place. */
  tag: string
  /** Per input, the most bytes of JSON its envelope can take. */
  sizes: readonly number[]
  /**
   * Per input, its payload as JSON (urls, stats, error, or a progress input's detail) as
   * measured, or undefined for a progress input without detail: a backend that sends JSON need
   * not serialize it again.
   */
  payloads: readonly (string | undefined)[]
  /**
   * The stall check: apply the call only if no worker published or sent a heartbeat for this
   * many milliseconds, decided atomically with the write; otherwise write nothing and return no
   * envelope.
   */
  staleAfterMs?: number
  /** The caller's epoch (PublishOptions.epoch): another one throws CrawlClosedError (restarted). */
  epoch: string | undefined
}

const topLevel = () => ''

/** The terminal error of a crawl failed by the stall check. */
export function stalledErrorInfo(staleAfterMs: number): ProgressErrorInfo {
  return {
    code: 'stalled',
    message: `no worker published or sent a heartbeat for ${staleAfterMs} ms; the job was given up as dead`,
    retryable: true,
  }
}
const inBatch = (index: number) => `inputs.${index}`

/**
 * The public surface of a ProgressService, validating every argument before a backend sees it,
 * so that every backend rejects bad input the same way and writes nothing. A backend implements
 * the protected methods, which receive only validated values.
 */
export abstract class ProgressServiceBase implements ProgressService {
  readonly #tokens = new CallTokens()

  async start(crawlId: string): Promise<ProgressSnapshot> {
    return this.startCrawl(parseCrawlId(crawlId))
  }

  async restart(crawlId: string, options?: RestartOptions): Promise<ProgressSnapshot> {
    return this.restartCrawl(parseCrawlId(crawlId), parseEpochOption(options?.epoch))
  }

  async heartbeat(crawlId: string, options?: HeartbeatOptions): Promise<boolean> {
    return this.beat(parseCrawlId(crawlId), parseEpochOption(options?.epoch))
  }

  abstract sweepStalled(): Promise<StallSweepResult>

  async publish(
    crawlId: string,
    input: ProgressInput,
    options?: PublishOptions,
  ): Promise<EventEnvelope> {
    const id = parseCrawlId(crawlId)
    const inputs = [parseInput(input)]
    const [envelope] = await this.append(id, inputs, this.#operation(id, inputs, options, topLevel))
    return envelope as EventEnvelope
  }

  async publishBatch(
    crawlId: string,
    inputs: readonly ProgressInput[],
    options?: PublishOptions,
  ): Promise<EventEnvelope[]> {
    const id = parseCrawlId(crawlId)
    const parsed = parseInputs(inputs)
    return this.append(id, parsed, this.#operation(id, parsed, options, inBatch))
  }

  async increment(
    crawlId: string,
    delta: ProgressDelta,
    options?: PublishOptions,
  ): Promise<ProgressTotals> {
    const id = parseCrawlId(crawlId)
    const inputs: ProgressInput[] = [{ type: 'progress', delta: parseDelta(delta) }]
    const [envelope] = await this.append(id, inputs, this.#operation(id, inputs, options, topLevel))
    return (envelope as EventEnvelope).totals
  }

  async complete(
    crawlId: string,
    stats: CompleteStats = {},
    options?: PublishOptions,
  ): Promise<boolean> {
    const id = parseCrawlId(crawlId)
    return this.finish(id, { type: 'complete', stats: parseStats(stats) }, options)
  }

  async fail(
    crawlId: string,
    error: ProgressErrorInfo,
    options?: PublishOptions,
  ): Promise<boolean> {
    const id = parseCrawlId(crawlId)
    return this.finish(id, { type: 'error', error: parseErrorInfo(error) }, options)
  }

  async subscribe(
    crawlId: string,
    handler: EnvelopeHandler,
    options: SubscribeOptions = {},
  ): Promise<ProgressSubscription> {
    const id = parseCrawlId(crawlId)
    parseSubscribeCallbacks(handler, options)
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

  /**
   * The terminal check-and-set: true for the call whose terminal input closed the crawl, also
   * when that call is repeated under its operation id.
   */
  protected async finish(
    crawlId: string,
    input: ProgressInput,
    options: PublishOptions | undefined,
  ): Promise<boolean> {
    const inputs = [input]
    let envelopes: EventEnvelope[]
    try {
      envelopes = await this.append(
        crawlId,
        inputs,
        this.#operation(crawlId, inputs, options, topLevel),
      )
    } catch (error) {
      if (error instanceof CrawlClosedError) return false
      throw error
    }
    const last = envelopes.at(-1)
    if (last && isTerminalEnvelope(last)) return true
    // The id belongs to an earlier call that did not close the crawl: this one did nothing.
    throw new ProgressValidationError([
      {
        path: 'options.operationId',
        message: 'was used by an earlier call that did not close the crawl',
      },
    ])
  }

  /**
   * The stall check of one crawl: fails it with code `stalled` when no worker published or sent
   * a heartbeat for `staleAfterMs`, atomically with that condition (a heartbeat stored first
   * wins), so that of many checkers in many processes one at most closes it. With
   * `staleAfterMs` 0 (detection off) it only tells whether the crawl still exists.
   */
  protected async checkStalled(crawlId: string, staleAfterMs: number): Promise<StallCheckOutcome> {
    if (staleAfterMs === 0) {
      const snapshot = await this.readSnapshot(crawlId)
      if (!snapshot) return 'missing'
      return snapshot.terminal ? 'closed' : 'alive'
    }
    const inputs: ProgressInput[] = [{ type: 'error', error: stalledErrorInfo(staleAfterMs) }]
    try {
      const operation = this.#operation(crawlId, inputs, undefined, topLevel)
      const envelopes = await this.append(crawlId, inputs, { ...operation, staleAfterMs })
      return envelopes.length === 0 ? 'alive' : 'stalled'
    } catch (error) {
      if (error instanceof CrawlClosedError) return 'closed'
      if (error instanceof CrawlNotFoundError) return 'missing'
      throw error
    }
  }

  /** Validates the call's options and byte bounds, and gives it its id and tag. */
  #operation(
    crawlId: string,
    inputs: readonly ProgressInput[],
    options: PublishOptions | undefined,
    pathOf: (index: number) => string,
  ): AppendOperation {
    const id = parseOperationId(options)
    const epoch = parseEpochOption(options?.epoch)
    return { id, epoch, tag: this.#tokens.tag(), ...measureInputs(crawlId, inputs, pathOf) }
  }

  protected abstract startCrawl(crawlId: string): Promise<ProgressSnapshot>
  /** See ProgressService.restart(): atomic, and every open subscriber resyncs. */
  protected abstract restartCrawl(
    crawlId: string,
    epoch: string | undefined,
  ): Promise<ProgressSnapshot>
  /** See ProgressService.heartbeat(); `epoch` validated, or undefined. */
  protected abstract beat(crawlId: string, epoch: string | undefined): Promise<boolean>
  /**
   * Appends validated inputs atomically, or returns the envelopes of the call that already
   * applied `operation.id`. CrawlNotFoundError / CrawlClosedError / a totals overflow
   * (ProgressValidationError) write nothing.
   */
  protected abstract append(
    crawlId: string,
    inputs: ProgressInput[],
    operation: AppendOperation,
  ): Promise<EventEnvelope[]>
  protected abstract subscribeFrom(
    crawlId: string,
    handler: EnvelopeHandler,
    position: ResumePosition,
    onError: ((error: ProgressError) => void) | undefined,
  ): Promise<ProgressSubscription>
  protected abstract readSnapshot(crawlId: string): Promise<ProgressSnapshot | null>
  protected abstract remove(crawlId: string): Promise<boolean>
}
