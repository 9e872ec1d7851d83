import { type ProgressEnvelope, parseLastEventId } from '@docspasta/progress-core'
import { createParser, type EventSourceMessage } from 'eventsource-parser'
import { describe, expect, it } from 'vitest'
import { encodeComment, encodeEnvelope, encodeRetry } from '../../src/sse/sseEncoding.js'

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes)
const envelope: ProgressEnvelope = {
  v: 1,
  epoch: 'k3f9x2',
  seq: 42,
  crawlId: 'abc',
  ts: 1764320000000,
  type: 'error',
  totals: { discovered: 120, processed: 57, failed: 2 },
  error: { code: 'boom', message: 'line one\nline two\r\nline three\u2028', retryable: false },
}

describe('SSE encoding', () => {
  it('writes one envelope as id + one data line, with no event field (inconsistent event formats)', () => {
    expect(text(encodeEnvelope(envelope))).toBe(
      `id: k3f9x2:42\ndata: ${JSON.stringify(envelope)}\n\n`,
    )
    const tagged = { ...envelope, tag: 'p0q1r2s3t4' }
    expect(text(encodeEnvelope(tagged))).toBe(
      `id: k3f9x2:42:p0q1r2s3t4\ndata: ${JSON.stringify(tagged)}\n\n`,
    )
    expect(text(encodeEnvelope(envelope))).not.toMatch(/^event:/m)
    expect(text(encodeEnvelope(envelope)).split('\n')).toHaveLength(4)
  })

  it('writes comments and retry, and refuses CR or LF in a comment', () => {
    expect(text(encodeComment('ping'))).toBe(': ping\n\n')
    expect(text(encodeRetry(2500))).toBe('retry: 2500\n\n')
    expect(() => encodeComment('a\nb')).toThrow(TypeError)
    expect(() => encodeComment('a\rb')).toThrow(TypeError)
  })

  it('round-trips through eventsource-parser as a default message event', () => {
    const messages: EventSourceMessage[] = []
    const parser = createParser({ onEvent: (message) => messages.push(message) })
    parser.feed(
      text(encodeRetry(1000)) + text(encodeComment('ping')) + text(encodeEnvelope(envelope)),
    )
    expect(messages).toHaveLength(1)
    expect(messages[0]?.event).toBeUndefined()
    expect(messages[0]?.id).toBe('k3f9x2:42')
    expect(JSON.parse(messages[0]?.data as string)).toEqual(envelope)
  })

  it('parses Last-Event-ID and treats anything malformed as absent', () => {
    expect(parseLastEventId('k3f9x2:42')).toEqual({ epoch: 'k3f9x2', seq: 42 })
    expect(parseLastEventId('k3f9x2:0')).toEqual({ epoch: 'k3f9x2', seq: 0 })
    expect(parseLastEventId('k3f9x2:42:p0q1r2s3t4')).toEqual({
      epoch: 'k3f9x2',
      seq: 42,
      tag: 'p0q1r2s3t4',
    })
    for (const bad of [
      null,
      undefined,
      '',
      '42',
      ':42',
      'k3f9x2:',
      'k3f9x2:-1',
      'k3f9x2:1.5',
      'K3F9:1',
      'k3f9x2:42:',
      'k3f9x2:42:a:b',
      'k3f9x2:42:ABC',
      `k3f9x2:42:${'a'.repeat(17)}`,
      'a b:1',
      'k3f9x2:9999999999999999',
      `${'a'.repeat(70)}:1`,
    ]) {
      expect(parseLastEventId(bad)).toBeUndefined()
    }
  })
})
