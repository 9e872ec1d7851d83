import type * as protocol from '@docspasta/progress-protocol'
import {
  CRAWL_ID_PATTERN,
  CRAWL_ID_RULE,
  EPOCH_PATTERN,
  PROGRESS_LIMITS,
  TAG_PATTERN,
} from '@docspasta/progress-protocol'
import { z } from 'zod'

// The event model's types live in the zod-free protocol package; core re-exports them.
export type {
  CompleteEnvelope,
  CompleteInput,
  CompleteStats,
  CrawlStatus,
  DiscoveryEnvelope,
  DiscoveryInput,
  EnvelopeBase,
  ErrorEnvelope,
  ErrorInput,
  EventEnvelope,
  JsonValue,
  ProgressDelta,
  ProgressDetail,
  ProgressEnvelope,
  ProgressEnvelopeType,
  ProgressErrorInfo,
  ProgressEventEnvelope,
  ProgressEventInput,
  ProgressInput,
  ProgressTotals,
  SnapshotEnvelope,
  TerminalEnvelope,
} from '@docspasta/progress-protocol'
export { isTerminalEnvelope } from '@docspasta/progress-protocol'

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
export const crawlIdSchema = z.string().regex(CRAWL_ID_PATTERN, CRAWL_ID_RULE)

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

// Each schema infers exactly its type in @docspasta/progress-protocol, the zod-free types that browsers
// use: this fails to compile when either side changes alone.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
type AllTrue<T extends readonly true[]> = T
// biome-ignore lint/correctness/noUnusedVariables: a compile-time check, used by nothing
type SchemasMatchProtocolTypes = AllTrue<
  [
    Same<z.infer<typeof crawlStatusSchema>, protocol.CrawlStatus>,
    Same<z.infer<typeof progressTotalsSchema>, protocol.ProgressTotals>,
    Same<z.infer<typeof progressDeltaSchema>, protocol.ProgressDelta>,
    Same<z.infer<typeof progressDetailSchema>, protocol.ProgressDetail>,
    Same<z.infer<typeof completeStatsSchema>, protocol.CompleteStats>,
    Same<z.infer<typeof errorInfoSchema>, protocol.ProgressErrorInfo>,
    Same<z.infer<typeof discoveryInputSchema>, protocol.DiscoveryInput>,
    Same<z.infer<typeof progressEventInputSchema>, protocol.ProgressEventInput>,
    Same<z.infer<typeof completeInputSchema>, protocol.CompleteInput>,
    Same<z.infer<typeof errorInputSchema>, protocol.ErrorInput>,
    Same<z.infer<typeof progressInputSchema>, protocol.ProgressInput>,
    Same<z.infer<typeof discoveryEnvelopeSchema>, protocol.DiscoveryEnvelope>,
    Same<z.infer<typeof progressEventEnvelopeSchema>, protocol.ProgressEventEnvelope>,
    Same<z.infer<typeof completeEnvelopeSchema>, protocol.CompleteEnvelope>,
    Same<z.infer<typeof errorEnvelopeSchema>, protocol.ErrorEnvelope>,
    Same<z.infer<typeof snapshotEnvelopeSchema>, protocol.SnapshotEnvelope>,
    Same<z.infer<typeof progressEnvelopeSchema>, protocol.ProgressEnvelope>,
  ]
>
