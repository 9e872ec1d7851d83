import { type Channel, createChannel, createSession } from 'better-sse'
import { BenchCrawl } from './benchEvent.js'
import { crawlIdOfPath, type StreamBackend } from './streamBackend.js'

/**
 * The peer: better-sse as its README shows it, one session per request registered on one channel
 * per crawl, and `channel.broadcast()` per event. The event object is built once per event;
 * better-sse serializes it for each session (that is how its broadcast works).
 */
export function createBetterSseBackend(crawlIds: readonly string[]): StreamBackend {
  const crawls = crawlIds.map((id) => new BenchCrawl(id))
  const indexOf = new Map(crawlIds.map((id, index) => [id, index]))
  const channels: Channel[] = crawlIds.map(() => createChannel())
  return {
    handle(req, res) {
      const index = indexOf.get(crawlIdOfPath(req.url) ?? '')
      const channel = index === undefined ? undefined : channels[index]
      if (!channel) {
        res.writeHead(404).end()
        return
      }
      // Same retry and heartbeat period as the SDK's defaults.
      createSession(req, res, { retry: 2000, keepAlive: 15_000 }).then(
        (session) => channel.register(session),
        (error: unknown) => res.destroy(error instanceof Error ? error : new Error(String(error))),
      )
    },
    publishOne(crawl) {
      const event = (crawls[crawl] as BenchCrawl).next()
      channels[crawl]?.broadcast(event, 'message', {
        eventId: `${event.epoch}:${event.seq}:${event.tag}`,
      })
      return undefined
    },
    async close() {
      for (const channel of channels) {
        for (const session of channel.activeSessions) channel.deregister(session)
      }
    },
  }
}
