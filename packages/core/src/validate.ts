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
} from './events.js'
import { PROGRESS_LIMITS } from './limits.js'
import type { SubscribeOptions } from './service.js'

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
})

/** Validates the resume position of subscribe(); throws ProgressValidationError. */
export function parseResumePosition(options: SubscribeOptions): {
  afterSeq?: number
  epoch?: string
} {
  return parseWith(
    subscribeOptionsSchema,
    { afterSeq: options.afterSeq, epoch: options.epoch },
    'options',
  )
}
