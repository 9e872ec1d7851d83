import { type ClientRequest, request } from 'node:http'
import { performance } from 'node:perf_hooks'
import type { FrameStats } from './frameStats.js'
import { SeqTracker } from './seqTracker.js'

interface Envelope {
  seq?: unknown
  ts?: unknown
  type?: unknown
  coalesced?: unknown
  resync?: unknown
}

/** Receive time with sub-ms resolution on the same clock as the publishers' Date.now(). */
function nowMs(): number {
  return performance.timeOrigin + performance.now()
}

/**
 * One raw SSE connection (node:http, no agent, so no pooling): parses the stream line by line,
 * counts every `data:` frame and feeds seq and latency accounting.
 */
export class SseConnection {
  readonly tracker: SeqTracker
  firstBytes = false
  ended = false
  failed: string | undefined
  private pending = ''
  private req: ClientRequest | undefined

  constructor(
    readonly crawl: number,
    private readonly stats: FrameStats,
  ) {
    this.tracker = new SeqTracker(stats.seq)
  }

  /** Resolves once the first body bytes arrived (or the connection failed). */
  open(port: number, path: string): Promise<void> {
    return new Promise((resolve) => {
      const done = () => resolve()
      const req = request({
        host: '127.0.0.1',
        port,
        path,
        agent: false,
        headers: { accept: 'text/event-stream' },
      })
      this.req = req
      req.on('error', (error) => {
        this.failed ??= error.message
        this.ended = true
        done()
      })
      req.on('response', (res) => {
        if (res.statusCode !== 200) {
          this.failed = `status ${res.statusCode}`
          res.resume()
          done()
          return
        }
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => {
          if (!this.firstBytes) {
            this.firstBytes = true
            done()
          }
          this.parse(chunk, nowMs())
        })
        res.on('end', () => {
          this.ended = true
        })
        res.on('close', () => {
          this.ended = true
        })
      })
      req.end()
    })
  }

  close(): void {
    this.ended = true
    this.req?.destroy()
  }

  private parse(chunk: string, receivedAt: number): void {
    const text = this.pending === '' ? chunk : this.pending + chunk
    let lineStart = 0
    for (;;) {
      const lineEnd = text.indexOf('\n', lineStart)
      if (lineEnd === -1) break
      // `data:` with or without the optional space (better-sse writes none, the SDK one).
      if (text.startsWith('data:', lineStart)) {
        const valueStart = text.charCodeAt(lineStart + 5) === 32 ? lineStart + 6 : lineStart + 5
        this.onData(text.slice(valueStart, lineEnd), receivedAt)
      }
      lineStart = lineEnd + 1
    }
    this.pending = lineStart < text.length ? text.slice(lineStart) : ''
  }

  private onData(json: string, receivedAt: number): void {
    this.stats.frames += 1
    let envelope: Envelope
    try {
      envelope = JSON.parse(json) as Envelope
    } catch {
      this.stats.badFrames += 1
      return
    }
    const { seq, ts, type } = envelope
    if (typeof seq !== 'number' || typeof ts !== 'number' || typeof type !== 'string') {
      this.stats.badFrames += 1
      return
    }
    this.tracker.accept(seq, type, envelope.coalesced === true, envelope.resync === true)
    if (type !== 'snapshot') this.stats.recordLive(this.crawl, seq, ts, receivedAt)
  }
}
