import type { ProgressEnvelope } from '@docspasta/progress-protocol'
import { ProgressClientError } from './errors.js'

const ENVELOPE_TYPES = ['snapshot', 'discovery', 'progress', 'complete', 'error']

const isMatch = (value: unknown, pattern: RegExp) =>
  typeof value === 'string' && pattern.test(value)

/**
 * What the client relies on, checked without zod: protocol version 1, an epoch and tag that can
 * be sent back in a Last-Event-ID header, a seq to order by, a known type and totals. Extra
 * fields are allowed (forward compatibility); the `validate` option checks everything else.
 */
function isEnvelopeShaped(data: unknown): data is ProgressEnvelope {
  const envelope = data as Record<string, unknown> | null
  return (
    envelope?.v === 1 &&
    isMatch(envelope.epoch, /^[a-z0-9]{1,32}$/) &&
    Number.isSafeInteger(envelope.seq) &&
    (envelope.seq as number) >= 0 &&
    ENVELOPE_TYPES.includes(envelope.type as string) &&
    (envelope.tag === undefined || isMatch(envelope.tag, /^[a-z0-9]{1,16}$/)) &&
    typeof envelope.totals === 'object' &&
    envelope.totals !== null
  )
}

/**
 * An SSE event's data as an envelope. Throws a fatal ProgressClientError: `protocol` for data
 * that is not JSON or not a v1 envelope (a reconnect would read the same again), and
 * `invalid-envelope` for an envelope that `validate` rejects.
 */
export function readEnvelope(
  data: string,
  validate: ((data: unknown) => ProgressEnvelope) | undefined,
): ProgressEnvelope {
  let parsed: unknown
  try {
    parsed = JSON.parse(data)
  } catch (cause) {
    throw new ProgressClientError('protocol', 'the server sent data that is not JSON', { cause })
  }
  if (!isEnvelopeShaped(parsed)) {
    throw new ProgressClientError('protocol', 'the server sent data that is not a v1 envelope')
  }
  if (!validate) return parsed
  try {
    return validate(parsed)
  } catch (cause) {
    throw new ProgressClientError('invalid-envelope', 'validate rejected an envelope', { cause })
  }
}
