import { resolveServiceOptions } from '@docspasta/progress-core'
import { EnvelopeRecorder } from '@docspasta/progress-testing'
import type { Redis } from 'ioredis'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { CrawlStore } from '../../src/crawlStore.js'
import { createKeyBuilder, RedisProgressService, runningIndexKey } from '../../src/index.js'
import { connect, deletePrefix, uniquePrefix } from '../support/testPrefix.js'

const redis = connect()
const prefix = uniquePrefix('liveness')
const keysOf = createKeyBuilder(prefix)
const index = runningIndexKey(prefix)
const STALE_AFTER_MS = 400

/** Services on connections of their own: one per "process". */
const open: { service: RedisProgressService; connection: Redis }[] = []
function processes(count: number, options: { staleAfterMs?: number } = {}) {
  return Array.from({ length: count }, () => {
    const connection = connect()
    const service = new RedisProgressService({ redis: connection, prefix, ...options })
    open.push({ service, connection })
    return service
  })
}
afterEach(async () => {
  for (const { service, connection } of open.splice(0)) {
    await service.close()
    await connection.quit()
  }
})
afterAll(async () => {
  await deletePrefix(redis, prefix)
  await redis.quit()
})

const pastStale = () => new Promise((resolve) => setTimeout(resolve, STALE_AFTER_MS + 50))

describe('stall detection across processes', () => {
  it('five processes watching one dead crawl, sweeping at once too: one `stalled` terminal, once (completion race)', async () => {
    const services = processes(5, { staleAfterMs: STALE_AFTER_MS })
    const [first] = services as [RedisProgressService]
    const crawlId = 'dead-pool'
    await first.start(crawlId)
    await first.increment(crawlId, { processed: 7 })
    const recorders = await Promise.all(
      services.map(async (service) => {
        const recorder = new EnvelopeRecorder()
        await service.subscribe(crawlId, recorder.handler, recorder.options())
        return recorder
      }),
    )
    await pastStale()
    // Explicit sweeps race the watches of all five processes.
    const sweeps = await Promise.all(services.map((service) => service.sweepStalled()))

    for (const recorder of recorders) await recorder.waitForTerminal()
    const entries = await redis.xrange(keysOf(crawlId).events, '-', '+')
    const types = entries.map(([, fields]) => JSON.parse(fields[1] as string).type)
    expect(types).toEqual(['progress', 'error'])
    for (const recorder of recorders) {
      expect(recorder.terminals).toHaveLength(1)
      expect(recorder.terminals[0]).toMatchObject({ seq: 2, error: { code: 'stalled' } })
    }
    // At most one sweep won (a watch may have been first); nobody else claims it.
    expect(sweeps.flatMap((sweep) => sweep.stalled).length).toBeLessThanOrEqual(1)
    expect(await redis.zscore(index, crawlId)).toBeNull()
  })

  it('sweepStalled() finds a stale crawl that another process started and nobody watches, without KEYS or SCAN', async () => {
    const [worker, cron] = processes(2, { staleAfterMs: STALE_AFTER_MS }) as [
      RedisProgressService,
      RedisProgressService,
    ]
    const crawlIds = Array.from({ length: 30 }, (_, i) => `unwatched-${i}`)
    for (const crawlId of crawlIds) {
      await worker.start(crawlId)
      // Claimed by a worker: from now on silence means it died.
      await worker.heartbeat(crawlId)
    }
    await pastStale()
    // Ten of them are alive: their workers beat.
    for (const crawlId of crawlIds.slice(0, 10)) await worker.heartbeat(crawlId)

    const connection = open[1]?.connection as Redis
    const commands: string[] = []
    const send = connection.sendCommand.bind(connection)
    connection.sendCommand = ((command: { name: string }) => {
      commands.push(command.name.toLowerCase())
      return send(command as never)
    }) as typeof connection.sendCommand
    const swept = await cron.sweepStalled()

    expect(swept.stalled.sort()).toEqual(crawlIds.slice(10).sort())
    expect(commands).not.toContain('keys')
    expect(commands).not.toContain('scan')
    // One index read, one check per candidate (EVAL again where the script was not loaded
    // yet), its removal from the index: O(candidates).
    expect(commands.filter((name) => name === 'zrangebyscore')).toHaveLength(1)
    expect(commands.filter((name) => name === 'evalsha')).toHaveLength(30)
    expect(commands.length).toBeLessThanOrEqual(3 * 30 + 3)
    for (const crawlId of crawlIds.slice(0, 10)) {
      expect((await cron.getSnapshot(crawlId))?.status).toBe('running')
      expect(await redis.zscore(index, crawlId)).not.toBeNull()
    }
    for (const crawlId of crawlIds.slice(10)) expect(await redis.zscore(index, crawlId)).toBeNull()
  })

  it('the running index holds running crawls only: a terminal, a cleanup and an expiry take them out', async () => {
    const [service] = processes(1, { staleAfterMs: STALE_AFTER_MS }) as [RedisProgressService]
    await service.start('indexed-complete')
    await service.start('indexed-cleanup')
    await service.start('indexed-lost')
    for (const id of ['indexed-complete', 'indexed-cleanup', 'indexed-lost']) {
      expect(await redis.zscore(index, id)).not.toBeNull()
    }
    await service.complete('indexed-complete')
    await service.cleanup('indexed-cleanup')
    expect(await redis.zscore(index, 'indexed-complete')).toBeNull()
    expect(await redis.zscore(index, 'indexed-cleanup')).toBeNull()

    // Its keys expire (deleted here): the next sweep drops the entry and fails nothing.
    const keys = keysOf('indexed-lost')
    await redis.del(keys.state, keys.events, keys.operations)
    await pastStale()
    // Anything else that found its way into the index is dropped, not used as a key.
    await redis.zadd(index, 0, 'not{a}crawl id')
    expect((await service.sweepStalled()).stalled).not.toContain('indexed-lost')
    expect(await redis.zscore(index, 'indexed-lost')).toBeNull()
    expect(await redis.zscore(index, 'not{a}crawl id')).toBeNull()
    expect(await service.getSnapshot('indexed-lost')).toBeNull()
  })

  it('a heartbeat writes nothing to a closed or missing crawl', async () => {
    const [service] = processes(1) as [RedisProgressService]
    const keys = keysOf('beat-closed')
    await service.start('beat-closed')
    expect(await service.heartbeat('beat-closed')).toBe(true)
    expect(await redis.hget(keys.state, 'beatAt')).toMatch(/^\d+$/)
    await service.complete('beat-closed')
    const before = await redis.hgetall(keys.state)
    expect(await service.heartbeat('beat-closed')).toBe(false)
    expect(await redis.hgetall(keys.state)).toEqual(before)
    await expect(service.heartbeat('beat-missing')).rejects.toMatchObject({
      code: 'crawl-not-found',
    })
    expect(await redis.exists(keysOf('beat-missing').state)).toBe(0)
  })
})

describe('restart across processes', () => {
  it('a subscriber in another process resyncs at once, before any new event', async () => {
    const [worker, server] = processes(2) as [RedisProgressService, RedisProgressService]
    const crawlId = 'restart-elsewhere'
    const { epoch: old } = await worker.start(crawlId)
    await worker.increment(crawlId, { processed: 3 })
    const recorder = new EnvelopeRecorder()
    await server.subscribe(crawlId, recorder.handler, recorder.options())
    await recorder.waitFor(() => recorder.envelopes.at(-1)?.totals.processed === 3)

    const { epoch } = await worker.restart(crawlId)
    await recorder.waitFor(() => recorder.envelopes.at(-1)?.epoch === epoch)
    expect(epoch).not.toBe(old)
    expect(recorder.envelopes.at(-1)).toMatchObject({
      type: 'snapshot',
      resync: true,
      seq: 0,
      totals: { discovered: 0, processed: 0, failed: 0 },
    })
    expect(recorder.errors).toEqual([])
    // The old epoch's history and operation ids are gone with it.
    expect(await redis.xlen(keysOf(crawlId).events)).toBe(0)
    expect(await redis.exists(keysOf(crawlId).operations)).toBe(0)
  })

  it('a restart that the client re-sends after a lost reply restarts once: what was published since stays', async () => {
    // What ioredis re-sends is the same script call, restart id included.
    const store = new CrawlStore(redis, resolveServiceOptions())
    const [service] = processes(1) as [RedisProgressService]
    const crawlId = 'restart-resent'
    const keys = keysOf(crawlId)
    await service.start(crawlId)
    await service.increment(crawlId, { processed: 5 })
    const restarted = await store.start(crawlId, keys, 'restart', 'restart-call-1')
    await service.increment(crawlId, { processed: 1 })
    const resent = await store.start(crawlId, keys, 'restart', 'restart-call-1')
    expect(resent.epoch).toBe(restarted.epoch)
    expect(resent).toMatchObject({ seq: 1, totals: { processed: 1 } })
    // Another restart call (another id) does start over.
    const next = await store.start(crawlId, keys, 'restart', 'restart-call-2')
    expect(next.epoch).not.toBe(restarted.epoch)
    expect(next).toMatchObject({ seq: 0, totals: { processed: 0 } })
  })
})
