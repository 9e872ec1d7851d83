import {
  EPOCH_PATTERN,
  MAX_TOTAL,
  OPERATION_ID_PATTERN,
  PROGRESS_LIMITS,
} from '@docspasta/progress-protocol'
import { z } from 'zod'
import { ProgressValidationError, type ValidationIssue } from './errors.js'
import {
  type CompleteStats,
  completeStatsSchema,
  crawlIdSchema,
  epochSchema,
  errorInfoSchema,
  type ProgressDelta,
  type ProgressErrorInfo,
  type ProgressInput,
  progressDeltaSchema,
  progressInputSchema,
  tagSchema,
  utf8ByteLength,
} from './events.js'
import type { PublishOptions, SubscribeOptions } from './service.js'

function toIssues(error: z.ZodError, prefix: string): ValidationIssue[] {
  return error.issues.map((issue) => ({
    path: [prefix, ...issue.path.map(String)].filter((part) => part !== '').join('.'),
    message: issue.message,
  }))
}

function parseWith<T>(schema: z.ZodType<T>, value: unknown, prefix: string): T {
  const result = schema.safeParse(value)
  if (!result.success) throw new ProgressValidationError(toIssues(result.error, prefix))
  return result.data
}

/** Returns the crawl id, or throws ProgressValidationError (field `crawlId`). */
export function parseCrawlId(crawlId: unknown): string {
  return parseWith(crawlIdSchema, crawlId, 'crawlId')
}

/** Returns a validated copy of one input, or throws ProgressValidationError. */
export function parseInput(input: unknown): ProgressInput {
  return parseWith(progressInputSchema, input, '')
}

/**
 * Validates a whole batch before anything is written: 1 to 1,000 inputs, each valid, and a
 * terminal input (complete or error) only in the last place.
 */
export function parseInputs(inputs: unknown): ProgressInput[] {
  if (!Array.isArray(inputs) || inputs.length === 0) {
    throw new ProgressValidationError([{ path: 'inputs', message: 'must be a non-empty array' }])
  }
  if (inputs.length > PROGRESS_LIMITS.batchMaxInputs) {
    throw new ProgressValidationError([
      { path: 'inputs', message: `must hold at most ${PROGRESS_LIMITS.batchMaxInputs} inputs` },
    ])
  }
  return inputs.map((input, index) => {
    const parsed = parseWith(progressInputSchema, input, `inputs.${index}`)
    const isTerminal = parsed.type === 'complete' || parsed.type === 'error'
    if (isTerminal && index !== inputs.length - 1) {
      throw new ProgressValidationError([
        { path: `inputs.${index}`, message: 'a terminal input must be the last of its batch' },
      ])
    }
    return parsed
  })
}

export function parseDelta(delta: unknown): ProgressDelta {
  return parseWith(progressDeltaSchema, delta, 'delta')
}

export function parseStats(stats: unknown): CompleteStats {
  return parseWith(completeStatsSchema, stats, 'stats')
}

export function parseErrorInfo(error: unknown): ProgressErrorInfo {
  return parseWith(errorInfoSchema, error, 'error')
}

const subscribeOptionsSchema = z.object({
  afterSeq: z.int().nonnegative().optional(),
  epoch: epochSchema.optional(),
  tag: tagSchema.optional(),
})

/** Validates the resume position of subscribe(); throws ProgressValidationError. */
export function parseResumePosition(options: SubscribeOptions): {
  afterSeq?: number | undefined
  epoch?: string | undefined
  tag?: string | undefined
} {
  return parseWith(
    subscribeOptionsSchema,
    { afterSeq: options.afterSeq, epoch: options.epoch, tag: options.tag },
    'options',
  )
}

/**
 * Checks subscribe()'s callbacks up front: a handler that is not a function would otherwise be
 * accepted and crash the process at the first delivery.
 */
export function parseSubscribeCallbacks(handler: unknown, options: SubscribeOptions): void {
  if (typeof handler !== 'function') {
    throw new ProgressValidationError([{ path: 'handler', message: 'must be a function' }])
  }
  if (options.onError !== undefined && typeof options.onError !== 'function') {
    throw new ProgressValidationError([
      { path: 'options.onError', message: 'must be a function when given' },
    ])
  }
}

/** The caller's operation id (validated), or undefined when the service should make one. */
export function parseOperationId(options: PublishOptions | undefined): string | undefined {
  const operationId = options?.operationId
  if (operationId === undefined) return undefined
  if (typeof operationId !== 'string' || !OPERATION_ID_PATTERN.test(operationId)) {
    throw new ProgressValidationError([
      {
        path: 'options.operationId',
        message: `must be 1 to ${PROGRESS_LIMITS.operationIdMaxLength} printable ASCII characters without spaces`,
      },
    ])
  }
  return operationId
}

/** The caller's epoch option (validated), or undefined; `path` names it in the error. */
export function parseEpochOption(epoch: unknown, path = 'options.epoch'): string | undefined {
  if (epoch === undefined) return undefined
  if (typeof epoch !== 'string' || !EPOCH_PATTERN.test(epoch)) {
    throw new ProgressValidationError([
      { path, message: 'must be an epoch from start() or restart() (1 to 32 of a-z 0-9)' },
    ])
  }
  return epoch
}

/**
 * The most a `delta` can take: `{"discovered":…,"processed":…,"failed":…}` with 16-digit counts.
 * Progress inputs are the most frequent by far; one without a detail is counted at this bound,
 * unserialized.
 */
export const DELTA_MAX_BYTES = 80

/** `,"detail":`, between a progress envelope's delta and its detail. */
export const DETAIL_FIELD_BYTES = 10

const payloadFieldOf = (input: ProgressInput): string => {
  switch (input.type) {
    case 'discovery':
      return 'urls'
    case 'progress':
      // The delta is bounded; only a detail can make a progress envelope large.
      return input.detail === undefined ? 'delta' : 'detail'
    case 'complete':
      return 'stats'
    case 'error':
      return 'error'
  }
}

/**
 * The payload's JSON, serialized to be measured: for a progress input its detail's, none without
 * one (see above).
 */
const payloadJsonOf = (input: ProgressInput): string | undefined => {
  switch (input.type) {
    case 'discovery':
      return JSON.stringify(input.urls)
    case 'progress':
      return input.detail === undefined ? undefined : JSON.stringify(input.detail)
    case 'complete':
      return JSON.stringify(input.stats)
    case 'error':
      return JSON.stringify(input.error)
  }
}

/** Each input's envelope size bound, and the payload JSON that was serialized to measure it. */
export interface MeasuredInputs {
  sizes: number[]
  /**
   * Per input, its payload as JSON: urls, stats or error, a progress input's detail, or
   * undefined for a progress input without a detail.
   */
  payloads: (string | undefined)[]
}

/**
 * Bounds validated inputs in bytes before anything is written: each envelope they make within
 * `envelopeMaxBytes`, all of them together within `batchMaxBytes` (one script reply, one
 * published message). Returns each envelope's size bound, for the history's byte budget, and the
 * payload JSON it serialized, so that a backend sending JSON does not serialize it again.
 *
 * @param pathOf - the field path of input `index` in the caller's terms (`''` for publish())
 */
export function measureInputs(
  crawlId: string,
  inputs: readonly ProgressInput[],
  pathOf: (index: number) => string,
): MeasuredInputs {
  const { envelopeFrameMaxBytes, envelopeMaxBytes, batchMaxBytes } = PROGRESS_LIMITS
  const frame = envelopeFrameMaxBytes + crawlId.length
  let total = 0
  const payloads: (string | undefined)[] = []
  const sizes = inputs.map((input, index) => {
    const json = payloadJsonOf(input)
    payloads.push(json)
    let bytes = frame
    if (input.type === 'progress') {
      bytes += DELTA_MAX_BYTES
      if (json !== undefined) bytes += DETAIL_FIELD_BYTES + utf8ByteLength(json)
    } else {
      bytes += utf8ByteLength(json as string)
    }
    if (bytes > envelopeMaxBytes) {
      const path = [pathOf(index), payloadFieldOf(input)].filter((part) => part !== '').join('.')
      throw new ProgressValidationError([
        {
          path,
          message: `makes an envelope of up to ${bytes} bytes, over the ${envelopeMaxBytes}-byte limit (split it into several inputs)`,
        },
      ])
    }
    total += bytes
    return bytes
  })
  if (total > batchMaxBytes) {
    throw new ProgressValidationError([
      {
        path: 'inputs',
        message: `make envelopes of up to ${total} bytes together, over the ${batchMaxBytes}-byte limit of one call (split them into several calls)`,
      },
    ])
  }
  return { sizes, payloads }
}

/** A call that would take a total past Number.MAX_SAFE_INTEGER; nothing was written. */
export function totalsOverflowError(counter: string): ProgressValidationError {
  return new ProgressValidationError([
    {
      path: `totals.${counter}`,
      message: `would pass ${MAX_TOTAL} (Number.MAX_SAFE_INTEGER), where counts stop being exact`,
    },
  ])
}
