import type { ServerResponse } from 'node:http'
import { BenchCrawl, sseFrame } from './benchEvent.js'
import { crawlIdOfPath, SSE_RESPONSE_HEADERS, type StreamBackend } from './streamBackend.js'

/**
 * The ceiling: plain node:http, a Set of responses per crawl, each event framed once and written
 * to every socket. No backpressure, no history, no heartbeats.
 */
export function createBareBackend(crawlIds: readonly string[]): StreamBackend {
  const crawls = crawlIds.map((id) => new BenchCrawl(id))
  const indexOf = new Map(crawlIds.map((id, index) => [id, index]))
  const subscribers = crawlIds.map(() => new Set<ServerResponse>())
  return {
    handle(req, res) {
      const index = indexOf.get(crawlIdOfPath(req.url) ?? '')
      const set = index === undefined ? undefined : subscribers[index]
      if (!set) {
        res.writeHead(404).end()
        return
      }
      res.writeHead(200, SSE_RESPONSE_HEADERS)
      res.write('retry: 2000\n\n')
      set.add(res)
      res.once('close', () => set.delete(res))
    },
    publishOne(crawl) {
      const frame = sseFrame((crawls[crawl] as BenchCrawl).next())
      for (const res of subscribers[crawl] ?? []) res.write(frame)
      return undefined
    },
    async close() {
      for (const set of subscribers) for (const res of set) res.end()
    },
  }
}
