import {
  CrawlNotFoundError,
  createProgressStream,
  MemoryProgressService,
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

describe('createProgressStream', () => {
  it('checks the crawl id at once and errors the stream for an unknown crawl', async () => {
    const service = newService()
    expect(() => createProgressStream(service, 'no spaces')).toThrow(ProgressValidationError)
    const reader = createProgressStream(service, 'unknown', { onError: () => {} }).getReader()
    await expect(reader.read()).rejects.toBeInstanceOf(CrawlNotFoundError)
    expect(service.diagnostics()).toEqual({ crawls: 0, subscriptions: 0, timers: 0 })
  })

  it('ends the connection past the hard byte cap of a reader that does not read, so it resumes', async () => {
    const service = newService()
    await service.start('overflow')
    const stream = createProgressStream(service, 'overflow', {
      queueSoftLimitBytes: 1_024,
      queueHardLimitBytes: 16_384,
    })
    const reader = stream.getReader()
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('retry: 2000\n\n')
    // Discovery merges but cannot coalesce away: the merged urls outgrow the hard cap.
    for (let i = 0; i < 100; i++) {
      const urls = Array.from({ length: 20 }, (_, u) => `https://docs.example/${i}/${u}`)
      await service.publish('overflow', { type: 'discovery', urls })
    }
    expect(service.diagnostics().subscriptions).toBe(0)
    expect(await reader.read()).toEqual({ done: true, value: undefined })

    // The client comes back with its last id and gets everything from history, in order.
    const epoch = (await service.getSnapshot('overflow'))?.epoch
    const resumed = createProgressStream(service, 'overflow', {
      lastEventId: `${epoch}:0`,
      queueSoftLimitBytes: 1024 * 1024,
      queueHardLimitBytes: 2 * 1024 * 1024,
    }).getReader()
    const seqs: number[] = []
    const decoder = new TextDecoder()
    while (seqs.length < 100) {
      const { value } = await resumed.read()
      for (const line of decoder.decode(value).split('\n')) {
        if (line.startsWith('data: ')) seqs.push(JSON.parse(line.slice(6)).seq)
      }
    }
    await resumed.cancel()
    expect(seqs).toEqual(Array.from({ length: 100 }, (_, i) => i + 1))
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
