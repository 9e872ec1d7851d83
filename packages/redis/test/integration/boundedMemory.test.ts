import { afterAll, expect, it, vi } from 'vitest'
import { createKeyBuilder, RedisProgressService } from '../../src/index.js'
import { connect, deletePrefix, scanPrefix, uniquePrefix } from '../support/testPrefix.js'

const redis = connect()
const prefix = uniquePrefix('bounded')
afterAll(async () => {
  await deletePrefix(redis, prefix)
  await redis.quit()
})

it('100,000 progress events keep the stream at historyLimit and memory bounded; the TTL removes every key (snapshot per update)', async () => {
  const historyLimit = 1_000
  const service = new RedisProgressService({ redis, prefix, historyLimit, ttlSeconds: 1 })
  const crawlId = 'hundred-thousand'
  const keys = createKeyBuilder(prefix)(crawlId)
  await service.start(crawlId)

  const batch = Array.from({ length: 1_000 }, () => ({
    type: 'progress' as const,
    delta: { processed: 1 },
  }))
  const samples: { events: number; xlen: number; bytes: number }[] = []
  for (let round = 1; round <= 100; round++) {
    await service.publishBatch(crawlId, batch)
    if (round % 10 === 0) {
      samples.push({
        events: round * 1_000,
        xlen: await redis.xlen(keys.events),
        bytes: Number(await redis.memory('USAGE', keys.events)),
      })
    }
  }
  const state = await service.getSnapshot(crawlId)
  expect(state).toMatchObject({ seq: 100_000, totals: { processed: 100_000 } })
  // The publish script trims exactly: the newest historyLimit entries stay, and their
  // operation ids (one per 1,000-event batch here) with them.
  for (const sample of samples) expect(sample.xlen).toBe(historyLimit)
  expect(await redis.hlen(keys.operations)).toBe(1)
  // Memory is flat: the last sample is no larger than the first one beyond a few nodes' worth.
  const first = samples[0]?.bytes as number
  const last = samples.at(-1)?.bytes as number
  expect(last).toBeLessThan(first * 1.25)
  const stateBytes = Number(await redis.memory('USAGE', keys.state))
  expect(stateBytes).toBeLessThan(1_024)
  console.info('bounded-memory figures', JSON.stringify({ samples, stateBytes }))

  expect(await service.complete(crawlId, {})).toBe(true)
  await vi.waitFor(async () => expect(await scanPrefix(redis, prefix)).toEqual([]), {
    timeout: 5_000,
    interval: 100,
  })
  await service.close()
}, 120_000)

// One call that pushes more than 1,000 earlier calls out of history forgets all their operation
// ids (the script deletes them in chunks, as Lua's stack bounds one HDEL) and keeps the ids of
// the calls still held: a re-sent one is answered from history without a write.
it('forgets the operation ids of 1,000+ calls trimmed by one batch and remembers those still held', async () => {
  const service = new RedisProgressService({
    redis,
    prefix,
    historyLimit: 100_000,
    historyMaxBytes: 1024 * 1024,
  })
  const crawlId = 'many-forgotten'
  const keys = createKeyBuilder(prefix)(crawlId)
  await service.start(crawlId)
  const singles = 3_500 // about 900 KB: all held
  for (let i = 0; i < singles; i++) {
    await service.increment(crawlId, { processed: 1 }, { operationId: `single-${i}` })
  }
  expect(await redis.hlen(keys.operations)).toBe(singles)

  // About 700 KB of discovery in one call: past 1 MiB, half the small entries must go.
  const batch = Array.from({ length: 1_000 }, (_, n) => ({
    type: 'discovery' as const,
    urls: [`https://docs.example/${n}/${'x'.repeat(500)}`],
  }))
  await service.publishBatch(crawlId, batch, { operationId: 'big-batch' })

  const held = await redis.xlen(keys.events)
  const singlesHeld = held - 1_000
  expect(singles - singlesHeld).toBeGreaterThan(1_000)
  expect(await redis.hlen(keys.operations)).toBe(singlesHeld + 1)
  const remembered = await redis.hkeys(keys.operations)
  expect(remembered).toContain('big-batch')
  expect(remembered).toContain(`single-${singles - 1}`)
  expect(remembered).not.toContain('single-0')

  // The newest single call, re-sent: answered from history, nothing written.
  const seqBefore = (await service.getSnapshot(crawlId))?.seq
  await service.increment(crawlId, { processed: 1 }, { operationId: `single-${singles - 1}` })
  expect((await service.getSnapshot(crawlId))?.seq).toBe(seqBefore)
  await service.close()
})
