import type { IncomingMessage, ServerResponse } from 'node:http'
import type { PublishOne } from '../publisher/scheduleTicker.js'

/** What each server kind provides to the shared server process (serverMain.ts). */
export interface StreamBackend {
  /** Serves `GET /api/crawl-v2/<crawlId>/stream`. */
  handle(req: IncomingMessage, res: ServerResponse): void
  /** Publishes one event of a crawl in this process; undefined when another process publishes. */
  publishOne: PublishOne | undefined
  close(): Promise<void>
}

export type ServerKind = 'bare' | 'better-sse' | 'sdk-memory' | 'sdk-redis' | 'sdk-redis-2p'

export const SERVER_KINDS: readonly ServerKind[] = [
  'bare',
  'better-sse',
  'sdk-memory',
  'sdk-redis',
  'sdk-redis-2p',
]

/** Kinds whose server processes share one Redis: the crawls live there, published elsewhere. */
export function onRedis(kind: ServerKind): boolean {
  return kind === 'sdk-redis' || kind === 'sdk-redis-2p'
}

/**
 * How many server processes a kind runs: `sdk-redis-2p` is the scale-out of the docs, one
 * process per core, each with its own RedisProgressService (and subscriber) on the same Redis.
 */
export function serverProcessesOf(kind: ServerKind): number {
  return kind === 'sdk-redis-2p' ? 2 : 1
}

/** The crawl id in `/api/crawl-v2/<crawlId>/stream`, or undefined for any other path. */
export function crawlIdOfPath(url: string | undefined): string | undefined {
  const match = /^\/api\/crawl-v2\/([^/?]+)\/stream/.exec(url ?? '')
  return match?.[1] === undefined ? undefined : decodeURIComponent(match[1])
}

export const SSE_RESPONSE_HEADERS = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-cache, no-transform',
  'X-Accel-Buffering': 'no',
}
