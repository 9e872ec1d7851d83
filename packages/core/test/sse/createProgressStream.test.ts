import {
  CrawlNotFoundError,
  createProgressStream,
  MemoryProgressService,
  type ProgressEnvelope,
  ProgressValidationError,
  progressResponse,
  progressStreamPath,
} from '@docspasta/progress-core'
import { afterEach, describe, expect, it } from 'vitest'

const services: MemoryProgressService[] = []
afterEach(async () => {
  for (const service of services.splice(0)) await service.close()
})
function newService() {
  const service = new MemoryProgressService()
  services.push(service)
  return service
}

function dataLines(chunk: Uint8Array | undefined) {
  return new TextDecoder()
    .decode(chunk)
    .split('\n')
    .filter((line) => line.startsWith('data: '))
    .map((line) => JSON.parse(line.slice(6)) as ProgressEnvelope)
}

async function readSeqs(reader: ReadableStreamDefaultReader<Uint8Array>, count: number) {
  const seqs: number[] = []
  while (seqs.length < count) {
    const { value, done } = await reader.read()
    if (done) break
    for (const envelope of dataLines(value)) seqs.push(envelope.seq)
  }
  return seqs
}

describe('createProgressStream', () => {
  it('rejects an invalid crawl id and an unknown crawl before any byte (a 404 for the caller)', async () => {
    const service = newService()
    await expect(createProgressStream(service, 'no spaces')).rejects.toBeInstanceOf(
      ProgressValidationError,
    )
    const errors: unknown[] = []
    const unknown = createProgressStream(service, 'unknown', { onError: (e) => errors.push(e) })
    await expect(unknown).rejects.toMatchObject({ code: 'crawl-not-found' })
    await expect(unknown).rejects.toBeInstanceOf(CrawlNotFoundError)
    expect(errors).toEqual([])
    expect(service.diagnostics()).toEqual({ crawls: 0, subscriptions: 0, timers: 0 })
  })

  it('ends a live connection past the hard byte cap, and the client resumes from history (no backpressure)', async () => {
    const service = newService()
    await service.start('overflow')
    const tuning = { queueSoftLimitBytes: 1_024, queueHardLimitBytes: 16_384 }
    const reader = (await createProgressStream(service, 'overflow', tuning)).getReader()
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('retry: 2000\n\n')
    expect(new TextDecoder().decode((await reader.read()).value)).toContain('"type":"snapshot"')
    // Then the reader stops reading. Discovery merges but cannot coalesce away, so the merged
    // urls outgrow the hard cap: the connection lets go of everything at once.
    for (let i = 0; i < 100; i++) {
      const urls = Array.from({ length: 20 }, (_, u) => `https://docs.example/${i}/${u}`)
      await service.publish('overflow', { type: 'discovery', urls })
    }
    expect(service.diagnostics().subscriptions).toBe(0)
    expect(await reader.read()).toEqual({ done: true, value: undefined })

    // The client comes back with its last id and gets everything from history, in order.
    const epoch = (await service.getSnapshot('overflow'))?.epoch
    const resumed = (
      await createProgressStream(service, 'overflow', {
        lastEventId: `${epoch}:0`,
        queueSoftLimitBytes: 1024 * 1024,
        queueHardLimitBytes: 2 * 1024 * 1024,
      })
    ).getReader()
    const seqs = await readSeqs(resumed, 100)
    expect(seqs).toEqual(Array.from({ length: 100 }, (_, i) => i + 1))
    await resumed.cancel()
    expect(service.diagnostics().subscriptions).toBe(0)
  })

  it('answers a replay larger than the hard cap with a resync snapshot instead of ending (no resume loop)', async () => {
    const service = newService()
    await service.start('big-replay')
    for (let i = 0; i < 100; i++) {
      const urls = Array.from({ length: 20 }, (_, u) => `https://docs.example/${i}/${u}`)
      await service.publish('big-replay', { type: 'discovery', urls })
    }
    const epoch = (await service.getSnapshot('big-replay'))?.epoch
    const tuning = { queueSoftLimitBytes: 1_024, queueHardLimitBytes: 16_384 }
    for (let attempt = 0; attempt < 2; attempt++) {
      const reader = (
        await createProgressStream(service, 'big-replay', { ...tuning, lastEventId: `${epoch}:5` })
      ).getReader()
      await reader.read()
      const received: ProgressEnvelope[] = []
      const newest = 100 + attempt
      while (received.at(-1)?.seq !== newest) {
        const { value, done } = await reader.read()
        if (done)
          throw new Error(
            `the stream ended after ${JSON.stringify(received.map((e) => [e.type, e.seq]))}`,
          )
        received.push(...dataLines(value))
      }
      // The backlog became a resync snapshot at the seq where it overflowed; the rest follows.
      expect(received[0]).toMatchObject({ type: 'snapshot', resync: true })
      expect(received.length).toBeLessThan(20)
      const seqs = received.map((e) => e.seq)
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
      expect(received.at(-1)?.totals).toMatchObject({ discovered: 2_000, processed: attempt })
      await service.increment('big-replay', { processed: 1 })
      expect(await readSeqs(reader, 1)).toEqual([101 + attempt])
      await reader.cancel()
    }
  })

  it('replays the terminal envelope to a client that holds it, so an EventSource gets it again and stops', async () => {
    const service = newService()
    await service.start('finished')
    await service.increment('finished', { processed: 1 })
    await service.complete('finished', { pages: 1 })
    const epoch = (await service.getSnapshot('finished'))?.epoch
    const terminalId = `${epoch}:2:${(await service.getSnapshot('finished'))?.tag}`
    for (const lastEventId of [terminalId, `${epoch}:2`]) {
      const text = await new Response(
        await createProgressStream(service, 'finished', { lastEventId }),
      ).text()
      const envelopes = dataLines(new TextEncoder().encode(text))
      expect(envelopes.map((e) => [e.type, e.seq])).toEqual([['complete', 2]])
      expect(text).toContain(`id: ${terminalId}\n`)
    }
    expect(service.diagnostics().subscriptions).toBe(0)
  })

  it('progressResponse answers with the SSE headers for a known crawl and JSON statuses otherwise', async () => {
    const service = newService()
    await service.start('respond')
    const ok = await progressResponse(
      service,
      new Request(`http://x${progressStreamPath('respond')}`),
    )
    expect(ok.status).toBe(200)
    expect(ok.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
    await ok.body?.cancel()
    const missing = await progressResponse(
      service,
      new Request(`http://x${progressStreamPath('gone')}`),
    )
    expect(missing.status).toBe(404)
    expect(await missing.json()).toEqual({
      error: { code: 'crawl-not-found', message: 'no crawl "gone"' },
    })
    expect(service.diagnostics().subscriptions).toBe(0)
  })
})
