import * as core from '@docspasta/progress-core'
import {
  CRAWL_ID_PATTERN,
  isTerminalEnvelope,
  ProgressValidationError,
  progressStreamPath,
  progressStreamRoute,
} from '@docspasta/progress-protocol'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

// The route helpers check crawl ids without zod (browsers build stream URLs too); they must
// accept exactly what core's zod schema accepts, and fail the same way.
const outcome = (call: () => unknown) => {
  try {
    call()
    return 'ok'
  } catch (error) {
    if (!(error instanceof ProgressValidationError)) throw error
    return `${error.field}: ${error.message}`
  }
}

describe('the zod-free route helpers', () => {
  it('accept exactly the crawl ids core accepts, with the same error', () => {
    const ids = fc.oneof(
      fc.stringMatching(CRAWL_ID_PATTERN),
      fc.string({ maxLength: 140 }),
      fc.string({ minLength: 120, maxLength: 140, unit: fc.constantFrom('a', '-', ':', '/', ' ') }),
    )
    fc.assert(
      fc.property(ids, (id) => {
        expect(outcome(() => progressStreamPath(id))).toBe(outcome(() => core.parseCrawlId(id)))
      }),
      { numRuns: 2_000 },
    )
    for (const id of ['', 'a'.repeat(129), 'a/b', 'x y', '{tag}', 'é']) {
      expect(() => progressStreamPath(id)).toThrow(ProgressValidationError)
    }
  })

  it('are the ones core exports: one class of each error, one function of each helper', () => {
    expect(core.progressStreamPath).toBe(progressStreamPath)
    expect(core.progressStreamRoute).toBe(progressStreamRoute)
    expect(core.ProgressValidationError).toBe(ProgressValidationError)
    expect(core.isTerminalEnvelope).toBe(isTerminalEnvelope)
    const error = outcome(() => core.parseCrawlId('a/b'))
    expect(error).toMatch(/^crawlId: /)
  })
})

describe('instanceof across copies of the SDK (its ESM and CJS builds in one process)', () => {
  // What an error made by the other build looks like: the same brand and name, another class.
  const fromAnotherCopy = (name: string, code: string) =>
    Object.assign(new Error('made by the other copy'), {
      [Symbol.for('@docspasta/progress-core/error')]: true,
      name,
      code,
    })

  it('is an instance of the class it was made by and of ProgressError, of no other', () => {
    const closed = fromAnotherCopy('CrawlClosedError', 'crawl-closed')
    expect(closed).toBeInstanceOf(core.CrawlClosedError)
    expect(closed).toBeInstanceOf(core.ProgressError)
    expect(closed).not.toBeInstanceOf(core.CrawlNotFoundError)
    expect(closed).not.toBeInstanceOf(ProgressValidationError)
    const base = fromAnotherCopy('ProgressError', 'backend-failure')
    expect(base).toBeInstanceOf(core.ProgressError)
    expect(base).not.toBeInstanceOf(core.ProgressBackendError)
  })

  it("answers natively for this copy's errors, also against an app's own subclass", () => {
    class AppClosedError extends core.CrawlClosedError {}
    class NamedAppError extends core.CrawlClosedError {
      static override readonly errorName: string = 'NamedAppError'
    }
    expect(new core.CrawlClosedError('c')).not.toBeInstanceOf(AppClosedError)
    expect(new core.CrawlClosedError('c')).not.toBeInstanceOf(NamedAppError)
    expect(new AppClosedError('c')).toBeInstanceOf(core.CrawlClosedError)
    expect(new NamedAppError('c')).toMatchObject({ name: 'NamedAppError' })
    // Another copy's CrawlClosedError is not an app subclass that only inherits the name.
    expect(fromAnotherCopy('CrawlClosedError', 'crawl-closed')).not.toBeInstanceOf(AppClosedError)
    expect(fromAnotherCopy('NamedAppError', 'crawl-closed')).toBeInstanceOf(NamedAppError)
  })

  it('leaves errors without the brand alone, and each class names its errors', () => {
    expect(Object.assign(new Error('x'), { name: 'CrawlClosedError' })).not.toBeInstanceOf(
      core.CrawlClosedError,
    )
    expect(new Error('x')).not.toBeInstanceOf(core.ProgressError)
    expect(new core.CrawlClosedError('c').name).toBe('CrawlClosedError')
    expect(new ProgressValidationError([]).name).toBe('ProgressValidationError')
    expect(new core.ProgressError('backend-failure', 'm').name).toBe('ProgressError')
    expect(new core.CrawlNotFoundError('c')).toBeInstanceOf(core.ProgressError)
  })
})
