import { get } from 'node:http'
import type { ProgressEnvelope } from '@docspasta/progress-core'
import { createParser } from 'eventsource-parser'
import { describe, expect, it } from 'vitest'
import { forceGc } from './forceGc.js'
import { runInLanes } from './runInLanes.js'
import { SseTestClient } from './sseTestClient.js'
import type { StreamContext } from './streamContext.js'
import { expectStreamsSettled } from './streamsSettled.js'

const MiB = 1024 * 1024

export function registerStreamLoadTests(ctx: StreamContext): void {
  describe('SSE under load', () => {
    it('keeps server memory bounded for a slow reader (1 envelope/s read, 5,000 events/s for 10 s) and still ends exact (no backpressure)', async () => {
      const { service, harness } = await ctx.serve()
      const crawlId = ctx.crawlId('slow')
      await service.start(crawlId)
      await forceGc()
      const heapBefore = process.memoryUsage().heapUsed

      const envelopes: ProgressEnvelope[] = []
      const parser = createParser({ onEvent: (m) => envelopes.push(JSON.parse(m.data)) })
      const response = await new Promise<import('node:http').IncomingMessage>((resolve) => {
        get(harness.url(crawlId), { agent: false }, resolve)
      })
      response.pause()
      response.setEncoding('utf8')
      // About one envelope's bytes per second.
      const slowRead = setInterval(() => {
        const chunk = response.read(200) as string | null
        if (chunk) parser.feed(chunk)
      }, 1_000)

      let published = 0
      let maxQueued = 0
      let maxHeapGrowth = 0
      const started = Date.now()
      while (Date.now() - started < 10_000) {
        const tick = Date.now()
        await service.publishBatch(
          crawlId,
          Array.from({ length: 50 }, () => ({
            type: 'progress' as const,
            delta: { processed: 1 },
          })),
        )
        published += 50
        maxQueued = Math.max(maxQueued, harness.streams.diagnostics().queuedBytes)
        maxHeapGrowth = Math.max(maxHeapGrowth, process.memoryUsage().heapUsed - heapBefore)
        // 50 events every 10 ms: 5,000 events/s.
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, 10 - (Date.now() - tick))))
      }
      clearInterval(slowRead)
      const readWhileSlow = envelopes.length
      await service.complete(crawlId, { published })

      const ended = new Promise((resolve) => response.on('end', resolve))
      response.on('data', (chunk: string) => parser.feed(chunk))
      response.resume()
      await ended

      const terminal = envelopes.at(-1)
      expect(terminal).toMatchObject({ type: 'complete', totals: { processed: published } })
      expect(envelopes.filter((e) => e.type === 'complete')).toHaveLength(1)
      const seqs = envelopes.map((e) => e.seq)
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
      expect(new Set(seqs).size).toBe(seqs.length)
      expect(published).toBeGreaterThan(35_000)
      expect(maxQueued).toBeLessThanOrEqual(256 * 1024)
      expect(maxHeapGrowth).toBeLessThan(64 * MiB)
      console.info(
        `slow-reader figures (${ctx.target.name})`,
        JSON.stringify({
          published,
          readWhileSlow,
          receivedInAll: envelopes.length,
          maxQueuedBytes: maxQueued,
          maxHeapGrowthMiB: Number((maxHeapGrowth / MiB).toFixed(1)),
        }),
      )
    }, 60_000)

    it('leaves no connection, subscription, timer or listener behind after 10,000 open/close cycles (unbounded throttle map)', async () => {
      const { service, harness } = await ctx.serve()
      const crawlId = ctx.crawlId('cycles')
      await service.start(crawlId)
      await service.increment(crawlId, { processed: 1 })
      const listenersBefore =
        harness.http.listenerCount('request') + harness.http.listenerCount('connection')

      const cycleViaHandler = async () => {
        const aborted = new AbortController()
        const response = await harness.streams.handle(new Request(harness.url(crawlId)), {
          signal: aborted.signal,
        })
        const reader = (response.body as ReadableStream<Uint8Array>).getReader()
        await reader.read()
        await reader.read()
        await reader.cancel()
      }
      const cycleViaHttp = async () => {
        const client = new SseTestClient(harness.url(crawlId))
        await client.waitFor(() => client.envelopes.length > 0)
        client.close()
        await client.ended
      }
      const settled = async () => {
        await expectStreamsSettled(harness.streams, service, { timeoutMs: 10_000 })
        expect(harness.streams.diagnostics().released).toEqual({ unread: 0, overflow: 0 })
      }

      await runInLanes(2_000, 20, cycleViaHandler)
      await settled()
      await forceGc()
      const baseline = process.memoryUsage().heapUsed
      const started = Date.now()
      await runInLanes(10_000, 20, cycleViaHandler)
      const elapsedMs = Date.now() - started
      await settled()
      await forceGc()
      const after = process.memoryUsage().heapUsed
      const growth = (after - baseline) / baseline
      // The same through the Node adapter over real sockets: counts only, since the test's own
      // HTTP clients share this heap.
      await runInLanes(500, 10, cycleViaHttp)
      await settled()
      expect(service.diagnostics().subscriptions).toBe(0)
      expect(harness.http.listenerCount('request') + harness.http.listenerCount('connection')).toBe(
        listenersBefore,
      )
      expect(growth).toBeLessThan(0.05)
      console.info(
        `teardown figures (${ctx.target.name})`,
        JSON.stringify({
          cycles: 10_000,
          httpCycles: 500,
          elapsedMs,
          heapBaselineMiB: Number((baseline / MiB).toFixed(1)),
          heapAfterMiB: Number((after / MiB).toFixed(1)),
          growthPercent: Number((growth * 100).toFixed(2)),
        }),
      )
    }, 120_000)
  })
}
