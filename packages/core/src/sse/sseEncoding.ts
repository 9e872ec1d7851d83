import type { ProgressEnvelope } from '../events.js'

/** The one place for SSE response headers. */
export const SSE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-cache, no-transform',
  'X-Accel-Buffering': 'no',
}

const utf8 = new TextEncoder()

/**
 * An envelope's position: `<epoch>:<seq>:<tag>`, or `<epoch>:<seq>` when it has no tag. What a
 * client sends back as Last-Event-ID.
 */
export function formatPosition(envelope: Pick<ProgressEnvelope, 'epoch' | 'seq' | 'tag'>): string {
  const { epoch, seq, tag } = envelope
  return tag === undefined ? `${epoch}:${seq}` : `${epoch}:${seq}:${tag}`
}

/**
 * One envelope as one SSE message: `id: <position>` and a single `data:` line. No `event:`
 * field: every envelope is a default `message` event (a named `error` event would collide with
 * EventSource's own `error`). JSON.stringify escapes CR and LF, so the data is one line.
 */
export function encodeEnvelope(envelope: ProgressEnvelope): Uint8Array {
  return utf8.encode(`id: ${formatPosition(envelope)}\ndata: ${JSON.stringify(envelope)}\n\n`)
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
  /** Absent in a position from before tags existed: then only epoch and seq are checked. */
  tag?: string
}

const POSITION_PATTERN = /^([a-z0-9]{1,32}):(\d{1,15})(?::([a-z0-9]{1,16}))?$/

/**
 * Reads `<epoch>:<seq>:<tag>` (or `<epoch>:<seq>`) from a Last-Event-ID header or query
 * parameter. Anything malformed is treated as absent (undefined): the client then gets a fresh
 * snapshot.
 */
export function parseLastEventId(value: string | null | undefined): StreamPosition | undefined {
  const match = value ? POSITION_PATTERN.exec(value) : null
  if (!match) return undefined
  const [, epoch, seq, tag] = match as unknown as [string, string, string, string | undefined]
  return tag === undefined ? { epoch, seq: Number(seq) } : { epoch, seq: Number(seq), tag }
}
