import type { ProgressEnvelope } from '@docspasta/progress-core'
import {
  EnvelopeRecorder,
  SseTestClient,
  startProgressHttpServer,
} from '@docspasta/progress-testing'
import { describe, expect, it } from 'vitest'
import { RedisProgressService } from '../../src/index.js'
import { useOwnRedis } from '../support/ownRedis.js'
import { startTcpProxy } from '../support/tcpProxy.js'

// Redis comes back with older data under the same epoch: a restart from an older RDB snapshot
// (a failover to a lagging replica is the same). Seq 100 is saved, events up to 150 are
// delivered, Redis crashes and restarts at seq 100, and 80 new events take seqs 101 to 180.
// Whoever holds a position in 101..150 holds an event the store no longer has: it must get a
// resync snapshot, never a silent skip of the new 101..150.
const redisServers = useOwnRedis()

async function rollBack(options: { holdSubscriberReconnect?: boolean } = {}) {
  const { server, open } = await redisServers.start()
  const proxy = await startTcpProxy(server.port)
  const onConnectionError = redisServers.onConnectionError
  const publisher = new RedisProgressService({ redis: open(), onConnectionError })
  // Subscribers reach Redis through a proxy, so the test can hold their reconnect back.
  const watcher = new RedisProgressService({ redis: open({}, proxy.url), onConnectionError })
  const crawlId = 'rollback'
  const { epoch } = await publisher.start(crawlId)
  const live = new EnvelopeRecorder()
  await watcher.subscribe(crawlId, live.handler, live.options({ afterSeq: 0 }))
  const progress = { type: 'progress' as const, delta: { processed: 1 } }
  await publisher.publishBatch(
    crawlId,
    Array.from({ length: 100 }, () => progress),
  )
  await open().save()
  for (let i = 0; i < 50; i++) await publisher.increment(crawlId, { processed: 1 })
  await live.waitForSeq(150)
  const lost = live.envelopes.at(-1) as ProgressEnvelope

  if (options.holdSubscriberReconnect) proxy.holdReplies(true)
  await server.halt({ crash: true })
  await server.restart()
  expect(await publisher.getSnapshot(crawlId)).toMatchObject({ epoch, seq: 100 })
  for (let i = 0; i < 80; i++) await publisher.increment(crawlId, { processed: 1 })
  proxy.holdReplies(false)
  return { publisher, watcher, proxy, crawlId, epoch, lost, live }
}

describe('Redis restarted from older data (same epoch)', () => {
  it('answers a resume position the store gave to another event with a resync snapshot', async () => {
    const { publisher, watcher, proxy, crawlId, epoch, lost } = await rollBack()
    expect(lost).toMatchObject({ seq: 150, epoch })
    const resumed = new EnvelopeRecorder()
    await watcher.subscribe(
      crawlId,
      resumed.handler,
      resumed.options({ afterSeq: 150, epoch, tag: lost.tag }),
    )
    await resumed.waitFor(() => resumed.envelopes.length > 0)
    expect(resumed.envelopes[0]).toMatchObject({
      type: 'snapshot',
      resync: true,
      seq: 180,
      totals: { processed: 180 },
    })

    // The same over SSE: the Last-Event-ID a browser holds is the id of seq 150 it received.
    const http = await startProgressHttpServer(watcher)
    const client = new SseTestClient(http.url(crawlId), {
      'Last-Event-ID': `${epoch}:150:${lost.tag}`,
    })
    await client.waitFor(() => client.envelopes.length > 0)
    expect(client.envelopes[0]).toMatchObject({ type: 'snapshot', resync: true, seq: 180 })
    client.close()
    await http.close()
    await Promise.all([publisher.close(), watcher.close()])
    await proxy.close()
  }, 60_000)

  it('gives a live subscriber that reconnects after the new events a resync, and exact totals', async () => {
    const { publisher, watcher, proxy, crawlId, live } = await rollBack({
      holdSubscriberReconnect: true,
    })
    expect(await publisher.complete(crawlId, {})).toBe(true)
    await live.waitForTerminal(20_000)
    const resyncAt = live.envelopes.findIndex((e) => e.type === 'snapshot' && e.resync === true)
    expect(resyncAt).toBeGreaterThan(0)
    const after = live.envelopes.slice(resyncAt)
    const snapshot = after[0] as ProgressEnvelope
    // From the snapshot on, every seq once and in order, and the totals add up to the store's.
    expect(after.slice(1).map((e) => e.seq)).toEqual(
      Array.from({ length: 181 - snapshot.seq }, (_, i) => snapshot.seq + 1 + i),
    )
    const deltas = after
      .slice(1)
      .reduce((sum, e) => sum + (e.type === 'progress' ? (e.delta.processed ?? 0) : 0), 0)
    expect(snapshot.totals.processed + deltas).toBe(180)
    expect(live.terminals[0]?.totals.processed).toBe(180)
    console.info(
      'rollback figures',
      JSON.stringify({
        received: live.envelopes.length,
        resyncAtSeq: snapshot.seq,
        terminalProcessed: live.terminals[0]?.totals.processed,
      }),
    )
    await Promise.all([publisher.close(), watcher.close()])
    await proxy.close()
  }, 60_000)
})
