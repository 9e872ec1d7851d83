import { DEFAULT_SERVICE_OPTIONS, PROGRESS_LIMITS } from '@docspasta/progress-core'
import { EnvelopeRecorder } from '@docspasta/progress-testing'
import type { Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { createKeyBuilder, RedisProgressService } from '../../src/index.js'
import { useOwnRedis } from '../support/ownRedis.js'
import { expectEverySeqOnce } from '../support/streamChecks.js'

// The byte limits against a real Redis: what one crawl can cost at most, and that the largest
// calls the limits allow pass through the shared subscribers without tripping Redis's pub/sub
// output buffer limit (32 MB hard, 8 MB for 60 s by default). Each test has its own server.
const redisServers = useOwnRedis()
const keysOf = createKeyBuilder()
const MiB = 1024 * 1024

/** `count` urls making one discovery input of about `bytes` bytes of JSON. */
function urlsOf(bytes: number, count: number, label: string): string[] {
  const length = Math.floor(bytes / count) - 3
  return Array.from({ length: count }, (_, i) => `https://${label}.test/${i}/`.padEnd(length, 'x'))
}

async function crawlMemory(redis: Redis, crawlId: string) {
  const { state, events, operations } = keysOf(crawlId)
  const usage = async (key: string) => Number((await redis.memory('USAGE', key, 'SAMPLES', 0)) ?? 0)
  return {
    state: await usage(state),
    events: await usage(events),
    operations: await usage(operations),
  }
}

describe('byte bounds (each test on its own redis-server)', () => {
  it('holds one crawl within historyMaxBytes plus bounded overhead in the worst case (snapshot per update)', async () => {
    const { open } = await redisServers.start()
    const admin = open()
    const service = new RedisProgressService({ redis: open() })
    const { historyLimit, historyMaxBytes } = DEFAULT_SERVICE_OPTIONS

    // Worst case for one crawl: history full by count and by bytes at once (historyLimit
    // entries that share historyMaxBytes), each its own call with a 128-character operation id,
    // then the largest terminal payload.
    const crawlId = 'worst-case'
    await service.start(crawlId)
    const perEnvelope =
      Math.floor(historyMaxBytes / historyLimit) - PROGRESS_LIMITS.envelopeFrameMaxBytes
    for (let i = 0; i < historyLimit + 200; i++) {
      await service.publish(
        crawlId,
        { type: 'discovery', urls: urlsOf(perEnvelope, 4, `h${i}`) },
        { operationId: `${i}:`.padEnd(PROGRESS_LIMITS.operationIdMaxLength, 'o') },
      )
    }
    const stats = { blob: 'x'.repeat(PROGRESS_LIMITS.payloadMaxBytes - 11) }
    expect(await service.complete(crawlId, stats)).toBe(true)

    const memory = await crawlMemory(admin, crawlId)
    const total = memory.state + memory.events + memory.operations
    const held = await admin.xlen(keysOf(crawlId).events)
    const heldBytes = Number(await admin.hget(keysOf(crawlId).state, 'hbytes'))
    console.info(
      'crawl-memory figures',
      JSON.stringify({ ...memory, totalMiB: +(total / MiB).toFixed(2), held, heldBytes }),
    )
    expect(heldBytes).toBeLessThanOrEqual(historyMaxBytes)
    expect(held).toBeLessThanOrEqual(historyLimit)
    expect(await admin.hlen(keysOf(crawlId).operations)).toBe(held)
    // The documented worst case per crawl with the default options (docs/guides/redis.md):
    // 4 MiB of envelopes take ~5.6 MiB in Redis with stream nodes and allocator slack.
    expect(total).toBeLessThan(6 * MiB)
    await service.close()
  }, 120_000)

  it('carries 40 calls at the 1 MiB limit to 3 subscriber connections without dropping one', async () => {
    const { open } = await redisServers.start()
    const admin = open()
    const publisher = new RedisProgressService({ redis: open() })
    const connectionErrors: Error[] = []
    const watchers = Array.from(
      { length: 3 },
      () =>
        new RedisProgressService({
          redis: open(),
          historyMaxBytes: 64 * MiB,
          onConnectionError: (error) => void connectionErrors.push(error),
        }),
    )
    const crawlId = 'big-calls'
    await publisher.start(crawlId)
    const recorders = await Promise.all(
      watchers.map(async (watcher) => {
        const recorder = new EnvelopeRecorder()
        await watcher.subscribe(crawlId, recorder.handler, recorder.options({ afterSeq: 0 }))
        return recorder
      }),
    )
    // 16 envelopes of ~63 KiB: just under the limit of one call.
    const frame = PROGRESS_LIMITS.envelopeFrameMaxBytes + crawlId.length
    const inputBytes = Math.floor(PROGRESS_LIMITS.batchMaxBytes / 16) - frame
    let published = 0
    for (let call = 0; call < 40; call++) {
      const inputs = Array.from({ length: 16 }, (_, i) => ({
        type: 'discovery' as const,
        urls: urlsOf(inputBytes, 64, `c${call}-${i}`),
      }))
      published += (await publisher.publishBatch(crawlId, inputs)).length
    }
    expect(await publisher.complete(crawlId, {})).toBe(true)
    for (const recorder of recorders) {
      await recorder.waitForTerminal(30_000)
      expectEverySeqOnce(recorder, published + 1)
    }
    const killed = (await admin.call('INFO', 'stats')) as string
    expect(connectionErrors).toEqual([])
    expect(/client_output_buffer_limit_disconnections:(\d+)/.exec(killed)?.[1] ?? '0').toBe('0')
    await Promise.all([publisher, ...watchers].map((service) => service.close()))
  }, 120_000)
})
