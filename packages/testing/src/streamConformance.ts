import { describe } from 'vitest'
import type { ConformanceTarget } from './conformance/context.js'
import { createStreamContext } from './sse/streamContext.js'
import { registerStreamGuardTests } from './sse/streamGuardTests.js'
import { registerStreamLoadTests } from './sse/streamLoadTests.js'
import { registerStreamProtocolTests } from './sse/streamProtocolTests.js'
import { registerStreamUnreadTests } from './sse/streamUnreadTests.js'
import { registerStreamWorkerTests } from './sse/streamWorkerTests.js'

/**
 * Registers the SSE suite: a real node:http server on loopback serving the backend under test
 * through createProgressStreamServer, read by a real SSE parser; once through the Node adapter's
 * socket path and once through the Web Response that Next.js, Hono, Bun and Deno read. Covers
 * the wire format, resume with Last-Event-ID, heartbeats, status codes and methods, responses
 * nobody reads, random aborts, a slow reader and teardown, and what the worker side does to open
 * streams: a restart, a stalled crawl, a crawl that expires.
 */
export function describeProgressStreamConformance(target: ConformanceTarget): void {
  for (const transport of ['node', 'web'] as const) {
    describe(`progress streams over HTTP (${transport}): ${target.name}`, () => {
      const ctx = createStreamContext(target, transport)
      registerStreamProtocolTests(ctx)
      registerStreamGuardTests(ctx)
      registerStreamUnreadTests(ctx)
      registerStreamLoadTests(ctx)
      registerStreamWorkerTests(ctx)
    })
  }
}
