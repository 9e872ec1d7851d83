import { createParser } from 'eventsource-parser'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createSseParser } from '../../src/sseParser.js'

type Record_ = { id: string; event: string | undefined; data: string } | { retry: number }

function parseWithOurs(chunks: string[]): Record_[] {
  const records: Record_[] = []
  const feed = createSseParser({
    onEvent: (event) => records.push({ ...event }),
    onRetry: (retry) => records.push({ retry }),
  })
  for (const chunk of chunks) feed(chunk)
  return records
}

/**
 * eventsource-parser 3.1.1, fed the same chunks, adapted to the spec where it differs by design:
 * - its `id` is the block's own id field; the spec keeps the last id for later events, so the
 *   adapter carries it (exact here because the streams below send an id only next to data);
 * - it strips a BOM given as the UTF-8 bytes' code units, not a decoded U+FEFF: the adapter
 *   strips the decoded one, as TextDecoder and the spec do;
 * - it holds back a CR that ends a chunk, in case a LF follows, until a later chunk brings a
 *   line end: a stream that ends before one loses that line. The adapter moves such a CR into
 *   the next chunk (the same text, cut one character earlier), and at the end sends it as CRLF,
 *   the same single line end.
 */
function parseWithReference(chunks: string[]): Record_[] {
  const records: Record_[] = []
  let lastId = ''
  const parser = createParser({
    onEvent: ({ id, event, data }) => {
      if (id !== undefined) lastId = id
      records.push({ id: lastId, event, data })
    },
    onRetry: (retry) => records.push({ retry }),
  })
  let started = false
  let heldCr = ''
  for (const chunk of chunks) {
    let text = heldCr + chunk
    if (!text) continue
    if (!started && text.startsWith('\uFEFF')) text = text.slice(1)
    started = true
    heldCr = text.endsWith('\r') ? '\r' : ''
    parser.feed(heldCr ? text.slice(0, -1) : text)
  }
  if (heldCr) parser.feed('\r\n')
  return records
}

// Text inside values: ASCII, colons and spaces, NUL, a BOM, non-BMP characters, and the line
// separators that are not SSE line ends (U+2028, U+0085).
const valueText = fc.string({
  unit: fc.constantFrom(
    'a',
    'Z',
    '7',
    ':',
    ' ',
    '\0',
    'é',
    '中',
    '😀',
    '\u2028',
    '\u0085',
    '\uFEFF',
    '{',
    '"',
  ),
  maxLength: 12,
})
const space = fc.constantFrom('', ' ', '  ')
const eol = fc.constantFrom('\n', '\r', '\r\n')

const line = fc.oneof(
  fc.tuple(space, valueText).map(([s, v]) => [`data:${s}${v}`]),
  fc.constant(['data']),
  fc.tuple(space, valueText).map(([s, v]) => [`event:${s}${v}`]),
  fc
    .tuple(space, fc.oneof(valueText, fc.constant('')), space, valueText)
    // An id only right before a data line, so every id reaches an event (see the adapter).
    .map(([s, id, s2, v]) => [`id:${s}${id}`, `data:${s2}${v}`]),
  fc
    .tuple(space, fc.oneof(valueText, fc.constant('')), valueText)
    .map(([s, id, v]) => ['id', `data:${s}${id}${v}`]),
  fc
    .tuple(space, fc.oneof(fc.stringMatching(/^\d{1,20}$/), valueText))
    .map(([s, v]) => [`retry:${s}${v}`]),
  valueText.map((v) => [`:${v}`]),
  fc
    .tuple(fc.constantFrom('foo', 'DATA', 'data ', 'Id', 'retry ', 'ev ent', ''), valueText)
    .map(([field, v]) => [`${field}:${v}`]),
  valueText.map((v) => [v.replaceAll(':', '')]),
  fc.constant(['']),
  fc.constant(['']),
  fc.constant(['']),
)

const stream = fc
  .record({
    bom: fc.constantFrom('', '\uFEFF', '\uFEFF\uFEFF'),
    lines: fc.array(fc.tuple(line, fc.array(eol, { minLength: 2, maxLength: 2 })), {
      maxLength: 30,
    }),
    tail: fc.constantFrom('', 'data: unfinished', 'data: unfinished\n', 'retry'),
  })
  .map(({ bom, lines, tail }) => {
    const body = lines
      .flatMap(([fields, endings]) => fields.map((field, i) => field + endings[i % 2]))
      .join('')
    return bom + body + tail
  })

/** The text cut at random places, with empty chunks, a CR apart from its LF, a pair split. */
const chunked = stream.chain((text) =>
  fc.uniqueArray(fc.integer({ min: 0, max: text.length }), { maxLength: 12 }).map((cuts) => {
    const points = [0, ...cuts.sort((a, b) => a - b), text.length]
    return { text, chunks: points.slice(1).map((end, i) => text.slice(points[i], end)) }
  }),
)

describe('createSseParser', () => {
  it('yields exactly the events and retry values of eventsource-parser on random streams', () => {
    fc.assert(
      fc.property(chunked, ({ text, chunks }) => {
        expect(chunks.join('')).toBe(text)
        expect(parseWithOurs(chunks)).toEqual(parseWithReference(chunks))
      }),
      { numRuns: 2_000 },
    )
  })

  it('keeps the last id for later events, also one set by a block without data [spec]', () => {
    expect(
      parseWithOurs(['id: 1\ndata: a\n\ndata: b\n\nid: 2\n\ndata: c\n\nid\ndata: d\n\n']),
    ).toEqual([
      { id: '1', event: undefined, data: 'a' },
      { id: '1', event: undefined, data: 'b' },
      { id: '2', event: undefined, data: 'c' },
      { id: '', event: undefined, data: 'd' },
    ])
    expect(parseWithOurs(['id: 1\n\nid: x\0y\ndata: a\n\n'])).toEqual([
      { id: '1', event: undefined, data: 'a' },
    ])
  })

  it('ends a line at a CR that ends a chunk at once, and ignores a LF opening the next chunk', () => {
    const records: Record_[] = []
    const feed = createSseParser({
      onEvent: ({ data }) => records.push({ id: '', event: undefined, data }),
      onRetry: (retry) => records.push({ retry }),
    })
    feed('retry: 700\r')
    expect(records).toEqual([{ retry: 700 }])
    feed('\ndata: a\r')
    feed('\r')
    expect(records).toEqual([{ retry: 700 }, { id: '', event: undefined, data: 'a' }])
    feed('\n')
    feed('data: b\n\n')
    expect(records.at(-1)).toEqual({ id: '', event: undefined, data: 'b' })
    expect(records).toHaveLength(3)
  })

  it('joins data lines with LF, takes one space after the colon, and dispatches only data', () => {
    expect(
      parseWithOurs(['event: tick\n\n', 'data:  two\r\ndata\r\ndata:x\n', ': comment\n', '\n']),
    ).toEqual([{ id: '', event: undefined, data: ' two\n\nx' }])
  })

  it('strips one leading BOM only, even after an empty first chunk', () => {
    expect(parseWithOurs(['', '\uFEFFdata: a\n\n', '\uFEFFdata: b\n\n'])).toEqual([
      { id: '', event: undefined, data: 'a' },
    ])
  })

  it('discards a final event without its blank line', () => {
    expect(parseWithOurs(['data: a\n\ndata: b\n'])).toEqual([
      { id: '', event: undefined, data: 'a' },
    ])
  })
})
