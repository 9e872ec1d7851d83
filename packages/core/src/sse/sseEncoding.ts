import type { ProgressEnvelope } from '../events.js'
import { EPOCH_PATTERN } from '../limits.js'

/** The one place for SSE response headers. */
export const SSE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-cache, no-transform',
  'X-Accel-Buffering': 'no',
}

const utf8 = new TextEncoder()

/**
 * One envelope as one SSE message: `id: <epoch>:<seq>` and a single `data:` line. No `event:`
 * field: every envelope is a default `message` event (a named `error` event would collide with
 * EventSource's own `error`). JSON.stringify escapes CR and LF, so the data is one line.
 */
export function encodeEnvelope(envelope: ProgressEnvelope): Uint8Array {
  return utf8.encode(`id: ${envelope.epoch}:${envelope.seq}\ndata: ${JSON.stringify(envelope)}\n\n`)
}

/** A comment line (`: text`), ignored by every EventSource: heartbeats. */
export function encodeComment(text: string): Uint8Array {
  if (/[\r\n]/.test(text)) throw new TypeError('an SSE comment cannot contain CR or LF')
  return utf8.encode(`: ${text}\n\n`)
}

/** The reconnection delay a compliant EventSource uses after a drop. */
export function encodeRetry(milliseconds: number): Uint8Array {
  return utf8.encode(`retry: ${Math.max(0, Math.floor(milliseconds))}\n\n`)
}

/** A position a client resumes from. */
export interface StreamPosition {
  epoch: string
  seq: number
}

/**
 * Reads `<epoch>:<seq>` from a Last-Event-ID header or query parameter. Anything malformed is
 * treated as absent (undefined): the client then gets a fresh snapshot.
 */
export function parseLastEventId(value: string | null | undefined): StreamPosition | undefined {
  if (!value || value.length > 64) return undefined
  const separator = value.lastIndexOf(':')
  const epoch = value.slice(0, separator)
  const seqText = value.slice(separator + 1)
  if (separator < 1 || !EPOCH_PATTERN.test(epoch) || !/^\d{1,15}$/.test(seqText)) return undefined
  return { epoch, seq: Number(seqText) }
}
