import { type ProgressEnvelope, progressEnvelopeSchema } from '@docspasta/progress-core'

/**
 * Opt-in validation for subscribeProgress({ validate: validateEnvelope }). A separate entry, so
 * zod is bundled only by apps that ask for it.
 */
export function validateEnvelope(data: unknown): ProgressEnvelope {
  return progressEnvelopeSchema.parse(data)
}
