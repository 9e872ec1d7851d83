import {
  CrawlClosedError,
  isProgressError,
  MemoryProgressService,
  ProgressError,
  ProgressValidationError,
  parseCrawlId,
  progressEnvelopeSchema,
  progressStreamPath,
} from '@docspasta/progress-core'
import { describe, expect, it } from 'vitest'

describe('progressStreamPath', () => {
  it('is the single source of the stream URL (url mismatch)', () => {
    expect(progressStreamPath('crawl-1')).toBe('/api/crawl-v2/crawl-1/stream')
    expect(progressStreamPath('a:b', '/progress/')).toBe('/progress/a%3Ab/stream')
    expect(() => progressStreamPath('../etc')).toThrow(ProgressValidationError)
  })
})

describe('errors', () => {
  it('carry a stable code, a name and the cause', () => {
    const cause = new Error('socket closed')
    const error = new ProgressError('backend-failure', 'redis down', { cause })
    expect(error).toMatchObject({ code: 'backend-failure', name: 'ProgressError', cause })
    expect(new CrawlClosedError('c').name).toBe('CrawlClosedError')
    expect(isProgressError(error)).toBe(true)
    expect(isProgressError(new Error('x'))).toBe(false)
    // A copy of the package installed twice brands its errors the same way.
    const foreign = Object.assign(new Error('x'), {
      [Symbol.for('@docspasta/progress-core/error')]: true,
      code: 'crawl-closed',
    })
    expect(isProgressError(foreign)).toBe(true)
  })

  it('name the field and say that nothing was written', () => {
    try {
      parseCrawlId('has space')
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(ProgressValidationError)
      expect((error as ProgressValidationError).field).toBe('crawlId')
      expect((error as Error).message).toMatch(
        /^@docspasta\/progress-core: invalid crawlId: .*Nothing was written\.$/,
      )
    }
  })
})

describe('envelopes', () => {
  it('every envelope the memory service emits matches the envelope schema and survives JSON (inconsistent event formats)', async () => {
    const service = new MemoryProgressService()
    await service.start('schema')
    const seen: unknown[] = []
    await service.subscribe('schema', (e) => seen.push(e))
    await service.publishBatch('schema', [
      { type: 'discovery', urls: ['https://a', 'https://b'] },
      { type: 'progress', delta: { processed: 1 } },
      { type: 'complete', stats: { nested: { list: [], empty: {} } } },
    ])
    expect(seen).toHaveLength(4)
    for (const envelope of seen) {
      const roundTripped = JSON.parse(JSON.stringify(envelope))
      expect(progressEnvelopeSchema.parse(roundTripped)).toEqual(envelope)
    }
    expect(seen[1]).toMatchObject({ type: 'discovery', totals: { discovered: 2 } })
    await service.close()
  })
})
