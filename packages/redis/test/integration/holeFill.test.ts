import { EnvelopeRecorder } from '@docspasta/progress-testing'
import { afterAll, expect, it } from 'vitest'
import { createKeyBuilder, RedisProgressService } from '../../src/index.js'
import { connect, deletePrefix, uniquePrefix } from '../support/testPrefix.js'

const redis = connect()
const prefix = uniquePrefix('hole')
afterAll(async () => {
  await deletePrefix(redis, prefix)
  await redis.quit()
})

it('fills a hole from the stream when a live message skips ahead, messages lost on the way (no ordering)', async () => {
  const service = new RedisProgressService({ redis, prefix })
  const { epoch } = await service.start('hole')
  const recorder = new EnvelopeRecorder()
  await service.subscribe('hole', recorder.handler, recorder.options({ afterSeq: 0, epoch }))
  await service.increment('hole', { processed: 1 })
  await recorder.waitForSeq(1)

  // Events 2 and 3 reach the state and the stream, but their pub/sub messages never arrive.
  const { state, events } = createKeyBuilder(prefix)('hole')
  for (const seq of [2, 3]) {
    const envelope = {
      v: 1,
      epoch,
      seq,
      crawlId: 'hole',
      ts: Date.now(),
      type: 'progress',
      totals: { discovered: 0, processed: seq, failed: 0 },
      delta: { processed: 1 },
    }
    await redis.xadd(events, `${seq}-0`, 'e', JSON.stringify(envelope))
  }
  await redis.hset(state, 'seq', 3, 'processed', 3)

  // The next live message (seq 4) reveals the hole; the subscriber reads 2 and 3 from history.
  await service.increment('hole', { processed: 1 })
  await recorder.waitForSeq(4)
  expect(recorder.envelopes.map((e) => [e.seq, e.totals.processed])).toEqual([
    [1, 1],
    [2, 2],
    [3, 3],
    [4, 4],
  ])
  await service.close()
})
