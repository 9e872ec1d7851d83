import {
  type EventEnvelope,
  formatPosition,
  MemoryProgressService,
  type ProgressEnvelope,
  type ProgressService,
  progressEnvelopeSchema,
} from '@docspasta/progress-core'
import { startProgressHttpServer } from '@docspasta/progress-testing'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { RedisProgressService } from '../../src/index.js'
import { connect, deletePrefix, uniquePrefix } from '../support/testPrefix.js'

const redis = connect()
const prefix = uniquePrefix('formats')
afterAll(async () => {
  await deletePrefix(redis, prefix)
  await redis.quit()
})
const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** The raw messages of one SSE response, read to its end: each one's field lines. */
async function sseMessages(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { headers })
  expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
  const text = await response.text()
  return text
    .split('\n\n')
    .filter((block) => block !== '')
    .map((block) => block.split('\n'))
}

/**
 * Checks one message's shape (`id:` and one `data:` line, nothing else) and returns its envelope.
 * The schema drops keys it does not know, so an envelope equal to its parse has none.
 */
function envelopeOf(lines: string[]): ProgressEnvelope {
  expect(lines).toHaveLength(2)
  const [id, data] = lines as [string, string]
  expect(id).toMatch(/^id: /)
  expect(data).toMatch(/^data: /)
  const raw: unknown = JSON.parse(data.slice('data: '.length))
  const envelope = progressEnvelopeSchema.parse(raw)
  expect(envelope).toStrictEqual(raw)
  expect(id.slice('id: '.length)).toBe(formatPosition(envelope))
  return envelope
}

describe.each([
  { name: 'MemoryProgressService', create: (): ProgressService => new MemoryProgressService() },
  {
    name: 'RedisProgressService',
    create: (): ProgressService => new RedisProgressService({ redis, prefix }),
  },
])('$name', ({ create }) => {
  it('gives every type one envelope shape, in returns, replay and fresh streams alike (inconsistent event formats)', async () => {
    const service = create()
    const harness = await startProgressHttpServer(service)
    cleanups.push(async () => {
      await harness.close()
      await service.close()
    })

    for (const ending of ['complete', 'error'] as const) {
      const crawlId = `formats-${ending}`
      const { epoch } = await service.start(crawlId)
      const returned: EventEnvelope[] = [
        await service.publish(crawlId, { type: 'discovery', urls: ['https://a.test/'] }),
        ...(await service.publishBatch(crawlId, [
          {
            type: 'progress',
            delta: { processed: 1 },
            detail: { url: 'https://a.test/', outcome: 'processed', phase: 'fetch' },
          },
          { type: 'discovery', urls: ['https://a.test/b', 'https://a.test/c'] },
          { type: 'progress', delta: { failed: 1 } },
        ])),
      ]
      await service.increment(crawlId, { processed: 1 })
      if (ending === 'complete') await service.complete(crawlId, { pages: 3, list: [], empty: {} })
      else await service.fail(crawlId, { code: 'blocked', message: 'robots.txt', retryable: false })

      // Every event from history, as a client that resumes from before the first one gets it.
      const replay = (
        await sseMessages(harness.url(crawlId), { 'Last-Event-ID': `${epoch}:0` })
      ).slice(1)
      const replayed = replay.map(envelopeOf)
      expect(replayed.map((envelope) => envelope.type)).toEqual([
        'discovery',
        'progress',
        'discovery',
        'progress',
        'progress',
        ending,
      ])
      // The very envelopes the calls returned.
      expect(replayed.slice(0, returned.length)).toStrictEqual(returned)
      for (const envelope of returned)
        expect(progressEnvelopeSchema.parse(envelope)).toStrictEqual(envelope)

      // A viewer that arrives now: a snapshot and the terminal, in the same shape.
      const [retry, ...fresh] = await sseMessages(harness.url(crawlId))
      expect(retry).toEqual(['retry: 2000'])
      expect(fresh.map(envelopeOf).map((envelope) => [envelope.type, envelope.seq])).toEqual([
        ['snapshot', 5],
        [ending, 6],
      ])
    }
  })
})
