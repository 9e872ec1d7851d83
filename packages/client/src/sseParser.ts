/** One dispatched Server-Sent Event. */
export interface SseEvent {
  /** The last event ID: set by an `id` field and kept for later events until the next one. */
  id: string
  /** The `event` field; undefined when absent or empty (a default `message` event). */
  event: string | undefined
  /** The `data` lines, joined with LF. */
  data: string
}

export interface SseParserCallbacks {
  onEvent: (event: SseEvent) => void
  /** A `retry` field of ASCII digits only, as a number of milliseconds. */
  onRetry: (ms: number) => void
}

/**
 * A streaming parser for `text/event-stream`, following the WHATWG "event stream
 * interpretation": feed it decoded text in chunks of any size. A final event without its blank
 * line is never dispatched (the stream ended in the middle of it).
 *
 * @returns `feed(chunk)`
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
 */
export function createSseParser({ onEvent, onRetry }: SseParserCallbacks): (chunk: string) => void {
  /** The line still missing its end. */
  let pending = ''
  let started = false
  /** The last chunk ended with CR: a LF that opens the next one ends no further line. */
  let afterCr = false
  let id = ''
  let event: string | undefined
  let data: string | undefined

  return (chunk) => {
    if (!chunk) return
    // [spec] One leading U+FEFF is stripped; TextDecoder usually did it already.
    if (!started && chunk[0] === '\uFEFF') chunk = chunk.slice(1)
    if (afterCr && chunk[0] === '\n') chunk = chunk.slice(1)
    started = true
    afterCr = chunk.endsWith('\r')
    // A long line arriving in many chunks is joined once, not once per chunk.
    if (!/[\r\n]/.test(chunk)) {
      pending += chunk
      return
    }
    // [spec] Lines end at CRLF, LF or CR.
    const lines = (pending + chunk).split(/\r\n?|\n/)
    pending = lines.pop() as string
    for (const line of lines) {
      if (!line) {
        // [spec] A blank line dispatches, only if a data field was seen.
        if (data !== undefined) onEvent({ id, event, data })
        data = event = undefined
        continue
      }
      // [spec] `field: value` with one optional space; a line without a colon is a field with an
      // empty value; a comment (`:` first) is a field named '' and matches nothing below.
      const [, field, value] = /^([^:]*):? ?([\s\S]*)$/.exec(line) as unknown as [
        string,
        string,
        string,
      ]
      if (field === 'data') data = data === undefined ? value : `${data}\n${value}`
      else if (field === 'event') event = value || undefined
      else if (field === 'id' && !value.includes('\0')) id = value
      else if (field === 'retry' && /^\d+$/.test(value)) onRetry(Number(value))
    }
  }
}
