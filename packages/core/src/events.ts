import { z } from 'zod'
import { CRAWL_ID_PATTERN, EPOCH_PATTERN, PROGRESS_LIMITS, TAG_PATTERN } from './limits.js'

/** UTF-8 byte length of a string, without encoding it. */
export function utf8ByteLength(text: string): number {
  let bytes = text.length
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code < 0x80) continue
    if (code < 0x800) {
      bytes += 1
      continue
    }
    bytes += 2
    // A surrogate pair: two UTF-16 units, four UTF-8 bytes in all.
    const next = text.charCodeAt(i + 1)
    if (code >= 0xd800 && code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) i += 1
  }
  return bytes
}

/** Byte length of a value's JSON, the same measure the stores use. */
export function jsonByteLength(value: unknown): number {
  return utf8ByteLength(JSON.stringify(value) ?? '')
}

const boundedPayload = <T extends z.ZodType>(schema: T) =>
  schema.refine((value) => jsonByteLength(value) <= PROGRESS_LIMITS.payloadMaxBytes, {
    message: `must serialize to at most ${PROGRESS_LIMITS.payloadMaxBytes} bytes of JSON`,
  })

/** A crawl id: letters, digits and `_ - . :`, 1 to 128 characters. */
export const crawlIdSchema = z
  .string()
  .regex(
    CRAWL_ID_PATTERN,
    'must be 1 to 128 characters of letters, digits, "_", "-", "." or ":" (no braces, spaces, slashes or control characters)',
  )

export const epochSchema = z.string().regex(EPOCH_PATTERN)

/** An envelope's tag: with epoch and seq, the envelope's identity (see TAG_PATTERN). */
export const tagSchema = z.string().regex(TAG_PATTERN)

/** A counter value or delta: a non-negative safe integer. */
const countSchema = z.int().nonnegative()

export const progressTotalsSchema = z.strictObject({
  discovered: countSchema,
  processed: countSchema,
  failed: countSchema,
})

export const progressDeltaSchema = z.strictObject({
  discovered: countSchema.optional(),
  processed: countSchema.optional(),
  failed: countSchema.optional(),
})

const phaseSchema = z.string().min(1).max(PROGRESS_LIMITS.detailPhaseMaxLength)

/**
 * What one progress input says about the work behind it, all optional and bounded: the page's
 * url, its outcome, a short message and the job's current phase.
 */
export const progressDetailSchema = z.strictObject({
  url: z.string().min(1).max(PROGRESS_LIMITS.urlMaxLength).optional(),
  outcome: z.enum(['processed', 'failed', 'skipped']).optional(),
  message: z.string().max(PROGRESS_LIMITS.detailMessageMaxLength).optional(),
  phase: phaseSchema.optional(),
})

const urlsSchema = z
  .array(z.string().min(1).max(PROGRESS_LIMITS.urlMaxLength))
  .min(1)
  .max(PROGRESS_LIMITS.urlsPerDiscovery)

export const completeStatsSchema = boundedPayload(z.record(z.string(), z.json()))

export const errorInfoSchema = boundedPayload(
  z.strictObject({
    code: z.string().min(1).max(PROGRESS_LIMITS.errorCodeMaxLength),
    message: z.string(),
    retryable: z.boolean(),
  }),
)

export const discoveryInputSchema = z.strictObject({
  type: z.literal('discovery'),
  urls: urlsSchema,
})
export const progressEventInputSchema = z.strictObject({
  type: z.literal('progress'),
  delta: progressDeltaSchema,
  detail: progressDetailSchema.optional(),
})
export const completeInputSchema = z.strictObject({
  type: z.literal('complete'),
  stats: completeStatsSchema,
})
export const errorInputSchema = z.strictObject({
  type: z.literal('error'),
  error: errorInfoSchema,
})

/** What a worker publishes: one discriminated union, always with `type`. */
export const progressInputSchema = z.discriminatedUnion('type', [
  discoveryInputSchema,
  progressEventInputSchema,
  completeInputSchema,
  errorInputSchema,
])

export const crawlStatusSchema = z.enum(['running', 'completed', 'failed'])

const envelopeBase = {
  v: z.literal(1),
  epoch: epochSchema,
  seq: z.int().positive(),
  crawlId: crawlIdSchema,
  ts: z.int().nonnegative(),
  /**
   * The event's own tag, derived from its call's random tag (and, on Redis, from the tag before
   * it). A store restored from older data can hand the same epoch and seq to another event; the
   * tag tells them apart. Absent on envelopes stored before tags existed,
   * and on a snapshot that stands for no single event (seq 0, or just before a terminal).
   */
  tag: tagSchema.optional(),
  totals: progressTotalsSchema,
}

/**
 * Set by an SSE connection that merged queued envelopes for a slow client: this envelope stands
 * in for every seq after the one sent before it, so the seq step is not a gap.
 */
const coalescedSchema = z.literal(true).optional()

export const discoveryEnvelopeSchema = z.object({
  ...envelopeBase,
  type: z.literal('discovery'),
  // A merged envelope may carry more urls than one input may.
  urls: z.array(z.string().min(1).max(PROGRESS_LIMITS.urlMaxLength)).min(1),
  coalesced: coalescedSchema,
})
export const progressEventEnvelopeSchema = z.object({
  ...envelopeBase,
  type: z.literal('progress'),
  delta: progressDeltaSchema,
  detail: progressDetailSchema.optional(),
  coalesced: coalescedSchema,
})
export const completeEnvelopeSchema = z.object({
  ...envelopeBase,
  type: z.literal('complete'),
  stats: completeStatsSchema,
})
export const errorEnvelopeSchema = z.object({
  ...envelopeBase,
  type: z.literal('error'),
  error: errorInfoSchema,
})
/** Server-made: the whole state at `seq` (0 before the first event). */
export const snapshotEnvelopeSchema = z.object({
  ...envelopeBase,
  seq: z.int().nonnegative(),
  type: z.literal('snapshot'),
  status: crawlStatusSchema,
  resync: z.boolean().optional(),
  /** The phase of the latest detail that named one, so that a late viewer knows it too. */
  phase: phaseSchema.optional(),
})

/** What every subscriber receives: one shape for every type, always with `type`. */
export const progressEnvelopeSchema = z.discriminatedUnion('type', [
  discoveryEnvelopeSchema,
  progressEventEnvelopeSchema,
  completeEnvelopeSchema,
  errorEnvelopeSchema,
  snapshotEnvelopeSchema,
])

export type CrawlStatus = z.infer<typeof crawlStatusSchema>
export type ProgressTotals = z.infer<typeof progressTotalsSchema>
export type ProgressDelta = z.infer<typeof progressDeltaSchema>
export type ProgressDetail = z.infer<typeof progressDetailSchema>
export type CompleteStats = z.infer<typeof completeStatsSchema>
export type ProgressErrorInfo = z.infer<typeof errorInfoSchema>

export type DiscoveryInput = z.infer<typeof discoveryInputSchema>
export type ProgressEventInput = z.infer<typeof progressEventInputSchema>
export type CompleteInput = z.infer<typeof completeInputSchema>
export type ErrorInput = z.infer<typeof errorInputSchema>
/** What a worker publishes. */
export type ProgressInput = z.infer<typeof progressInputSchema>

export type DiscoveryEnvelope = z.infer<typeof discoveryEnvelopeSchema>
export type ProgressEventEnvelope = z.infer<typeof progressEventEnvelopeSchema>
export type CompleteEnvelope = z.infer<typeof completeEnvelopeSchema>
export type ErrorEnvelope = z.infer<typeof errorEnvelopeSchema>
export type SnapshotEnvelope = z.infer<typeof snapshotEnvelopeSchema>
/** A terminal envelope: exactly one per crawl, always its last seq. */
export type TerminalEnvelope = CompleteEnvelope | ErrorEnvelope
/** An envelope that the store assigned a seq to (everything but a snapshot). */
export type EventEnvelope = DiscoveryEnvelope | ProgressEventEnvelope | TerminalEnvelope
/** What every subscriber receives. */
export type ProgressEnvelope = z.infer<typeof progressEnvelopeSchema>
export type ProgressEnvelopeType = ProgressEnvelope['type']

/** True for `complete` and `error`: the envelope closes its crawl. */
export function isTerminalEnvelope(envelope: ProgressEnvelope): envelope is TerminalEnvelope {
  return envelope.type === 'complete' || envelope.type === 'error'
}
