import {
  CrawlClosedError,
  CrawlNotFoundError,
  createProgressReporter,
  MAX_TOTAL,
  MemoryProgressService,
  PROGRESS_LIMITS,
  ProgressBackendError,
  type ProgressError,
  type ProgressInput,
  type ProgressReporterOptions,
  type ProgressService,
  ProgressValidationError,
  type PublishOptions,
} from '@docspasta/progress-core'
import { EnvelopeRecorder } from '@docspasta/progress-testing'
import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

interface RecordedCall {
  inputs: ProgressInput[]
  operationId: string | undefined
  outcome: 'stored' | 'failed'
}

/**
 * The memory service with publishBatch() recorded, gated and made to fail on demand: `lostReplies`
 * calls are applied and then reject (a reply lost on the way back), `refusals` reject unapplied.
 */
class ObservedService {
  readonly inner = new MemoryProgressService()
  readonly calls: RecordedCall[] = []
  lostReplies = 0
  refusals = 0
  /** While set, publishBatch waits for it before it goes to the store. */
  gate: Promise<void> | undefined
  inFlight = 0
  maxInFlight = 0

  readonly service: ProgressService = new Proxy(this.inner, {
    get: (target, key) => {
      if (key === 'publishBatch') return this.#publishBatch
      const value = Reflect.get(target, key, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })

  readonly #publishBatch = async (
    crawlId: string,
    inputs: readonly ProgressInput[],
    options?: PublishOptions,
  ) => {
    this.inFlight += 1
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight)
    const call: RecordedCall = {
      inputs: structuredClone([...inputs]),
      operationId: options?.operationId,
      outcome: 'failed',
    }
    this.calls.push(call)
    try {
      if (this.gate) await this.gate
      if (this.refusals > 0) {
        this.refusals -= 1
        throw new Error('connection refused')
      }
      const envelopes = await this.inner.publishBatch(crawlId, inputs, options)
      if (this.lostReplies > 0) {
        this.lostReplies -= 1
        throw new Error('reply lost')
      }
      call.outcome = 'stored'
      return envelopes
    } finally {
      this.inFlight -= 1
    }
  }
}

const CRAWL = 'crawl-1'
let observed: ObservedService
let errors: ProgressError[]

const reporterFor = (options: ProgressReporterOptions = {}) =>
  createProgressReporter(observed.service, CRAWL, {
    onError: (error) => errors.push(error),
    ...options,
  })

const totals = async () => (await observed.inner.getSnapshot(CRAWL))?.totals
/** Lets queued microtasks and due timers run, moving fake time by `ms`. */
const tick = (ms = 0) => vi.advanceTimersByTimeAsync(ms)
const progressOf = (call: RecordedCall | undefined) =>
  call?.inputs.filter((input) => input.type === 'progress')

beforeEach(async () => {
  vi.useFakeTimers()
  observed = new ObservedService()
  errors = []
  await observed.inner.start(CRAWL)
})

afterEach(async () => {
  await observed.inner.close()
  vi.useRealTimers()
})

describe('createProgressReporter: timing', () => {
  it('sends the first change after a quiet interval at once, a synchronous burst in it (fixed throttle)', async () => {
    const reporter = reporterFor()
    reporter.processed()
    reporter.processed(2)
    reporter.failed()
    // Not in the same tick: a burst made synchronously shares the batch.
    expect(observed.calls).toHaveLength(0)
    expect(reporter.pending).toBe(3)
    await tick(0)
    expect(observed.calls).toHaveLength(1)
    expect(observed.calls[0]?.inputs).toEqual([
      { type: 'progress', delta: { processed: 3, failed: 1 } },
    ])
    expect(reporter.pending).toBe(0)
    expect(await totals()).toEqual({ discovered: 0, processed: 3, failed: 1 })

    // Quiet for a whole interval: the next change goes out at once again.
    await tick(250)
    reporter.processed()
    await tick(0)
    expect(observed.calls).toHaveLength(2)
    await reporter.close()
  })

  it('holds a burst within the interval for exactly one batch at its end', async () => {
    const reporter = reporterFor({ flushIntervalMs: 250 })
    reporter.processed()
    await tick(0)
    expect(observed.calls).toHaveLength(1)
    for (let ms = 0; ms < 240; ms += 10) {
      reporter.processed()
      reporter.discovered([`https://a/${ms}`])
      await tick(10)
    }
    expect(observed.calls).toHaveLength(1)
    expect(reporter.pending).toBe(48)
    await tick(10)
    expect(observed.calls).toHaveLength(2)
    expect(observed.calls[1]?.inputs).toEqual([
      { type: 'discovery', urls: Array.from({ length: 24 }, (_, i) => `https://a/${i * 10}`) },
      { type: 'progress', delta: { processed: 24 } },
    ])
    // Nothing pending: no batch, and no timer, follows.
    await tick(1_000)
    expect(observed.calls).toHaveLength(2)
    expect(await totals()).toEqual({ discovered: 24, processed: 25, failed: 0 })
    await reporter.close()
  })

  it('sends at once when maxPending calls or urls accumulated, interval or not (fixed throttle)', async () => {
    const reporter = reporterFor({ maxPending: 10, flushIntervalMs: 10_000 })
    reporter.processed()
    await tick(0)
    expect(observed.calls).toHaveLength(1)
    for (let i = 0; i < 9; i++) reporter.processed()
    await tick(0)
    expect(observed.calls).toHaveLength(1)
    reporter.processed()
    await tick(0)
    expect(observed.calls).toHaveLength(2)
    reporter.discovered(Array.from({ length: 10 }, (_, i) => `https://u/${i}`))
    await tick(0)
    expect(observed.calls).toHaveLength(3)
    expect(await totals()).toEqual({ discovered: 10, processed: 11, failed: 0 })
    await reporter.close()
  })

  it('keeps one publishBatch in flight; changes made meanwhile wait for the next flush', async () => {
    const reporter = reporterFor({ maxPending: 5, flushIntervalMs: 50 })
    let open!: () => void
    observed.gate = new Promise((resolve) => {
      open = resolve
    })
    reporter.processed()
    await tick(0)
    expect(observed.inFlight).toBe(1)
    // Past maxPending and past the interval, still only the one call in flight.
    for (let i = 0; i < 20; i++) reporter.processed()
    await tick(500)
    expect(observed.calls).toHaveLength(1)
    const flushed = reporter.flush()
    await tick(0)
    expect(observed.calls).toHaveLength(1)
    observed.gate = undefined
    open()
    await flushed
    expect(observed.maxInFlight).toBe(1)
    expect(observed.calls.map((call) => progressOf(call))).toEqual([
      [{ type: 'progress', delta: { processed: 1 } }],
      [{ type: 'progress', delta: { processed: 20 } }],
    ])
    expect(await totals()).toMatchObject({ processed: 21 })
    await reporter.close()
  })
})

describe('createProgressReporter: flush, complete, fail, close', () => {
  it('flush() sends what is pending now and resolves once it is stored', async () => {
    const reporter = reporterFor({ flushIntervalMs: 60_000 })
    reporter.processed()
    await tick(0)
    reporter.processed(4)
    reporter.phase('parsing')
    await reporter.flush()
    expect(reporter.pending).toBe(0)
    expect(await totals()).toMatchObject({ processed: 5 })
    expect(observed.calls[1]?.inputs).toEqual([
      { type: 'progress', delta: { processed: 4 } },
      { type: 'progress', delta: {}, detail: { phase: 'parsing' } },
    ])
    // Nothing pending: no call.
    await reporter.flush()
    expect(observed.calls).toHaveLength(2)
    await reporter.close()
  })

  it('complete() flushes first, then closes the crawl with exact totals', async () => {
    const reporter = reporterFor({ flushIntervalMs: 60_000 })
    const recorder = new EnvelopeRecorder()
    await observed.inner.subscribe(CRAWL, recorder.handler, recorder.options())
    reporter.discovered(['https://a', 'https://b'])
    await tick(0)
    for (let i = 0; i < 7; i++) reporter.processed()
    reporter.failed()
    expect(await reporter.complete({ pages: 8 })).toBe(true)
    expect(reporter.closed).toBe(true)
    const snapshot = await observed.inner.getSnapshot(CRAWL)
    expect(snapshot?.terminal).toMatchObject({
      type: 'complete',
      stats: { pages: 8 },
      totals: { discovered: 2, processed: 7, failed: 1 },
    })
    await recorder.waitForTerminal()
    expect(vi.getTimerCount()).toBe(observed.inner.diagnostics().timers)
  })

  it('complete() waits for a batch in flight, and answers false when another caller closed the crawl', async () => {
    const reporter = reporterFor()
    let open!: () => void
    observed.gate = new Promise((resolve) => {
      open = resolve
    })
    reporter.processed()
    await tick(0)
    reporter.processed()
    const completing = reporter.complete()
    await tick(0)
    expect(await observed.inner.getSnapshot(CRAWL)).toMatchObject({ status: 'running' })
    observed.gate = undefined
    open()
    expect(await completing).toBe(true)
    expect((await observed.inner.getSnapshot(CRAWL))?.terminal?.totals.processed).toBe(2)

    const late = reporterFor()
    expect(await late.complete()).toBe(false)
  })

  it('fail() flushes first, then fails the crawl', async () => {
    const reporter = reporterFor()
    reporter.processed()
    await tick(0)
    reporter.processed(2)
    const error = { code: 'boom', message: 'down', retryable: true }
    expect(await reporter.fail(error)).toBe(true)
    expect((await observed.inner.getSnapshot(CRAWL))?.terminal).toMatchObject({
      type: 'error',
      error,
      totals: { processed: 3 },
    })
  })

  it('close() flushes, leaves no timer, is idempotent, and every later call throws (unbounded throttle map)', async () => {
    const reporter = reporterFor({ flushIntervalMs: 1_000 })
    const base = vi.getTimerCount()
    reporter.processed()
    await tick(0)
    reporter.processed()
    await tick(0)
    // The heartbeat and the interval's flush.
    expect(vi.getTimerCount()).toBe(base + 1)
    const closing = reporter.close()
    expect(reporter.closed).toBe(true)
    expect(() => reporter.processed()).toThrow(/reporter of crawl "crawl-1" is closed/)
    await closing
    expect(await totals()).toMatchObject({ processed: 2 })
    expect(vi.getTimerCount()).toBe(base - 1)
    await observed.inner.close()
    expect(vi.getTimerCount()).toBe(0)

    await expect(reporter.close()).resolves.toBeUndefined()
    for (const call of [
      () => reporter.processed(),
      () => reporter.failed(),
      () => reporter.discovered(['https://a']),
      () => reporter.phase('x'),
    ]) {
      expect(call).toThrow(expect.objectContaining({ code: 'reporter-closed' }))
    }
    await expect(reporter.flush()).rejects.toMatchObject({ code: 'reporter-closed' })
    await expect(reporter.complete()).rejects.toMatchObject({ code: 'reporter-closed' })
    await expect(
      reporter.fail({ code: 'c', message: 'm', retryable: false }),
    ).rejects.toMatchObject({ code: 'reporter-closed' })
    await tick(60_000)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('leaves invalid complete() stats to the caller without closing the reporter', async () => {
    const reporter = reporterFor()
    await expect(reporter.complete({ big: 'x'.repeat(20_000) })).rejects.toBeInstanceOf(
      ProgressValidationError,
    )
    expect(reporter.closed).toBe(false)
    await expect(
      reporter.fail({ code: '', message: 'm', retryable: false } as never),
    ).rejects.toBeInstanceOf(ProgressValidationError)
    expect(await reporter.complete({ pages: 0 })).toBe(true)
  })
})

describe('createProgressReporter: batch composition', () => {
  it('keeps the most recent maxDetails details, each with its own delta, older ones summed first', async () => {
    const reporter = reporterFor({ maxDetails: 3, flushIntervalMs: 1_000 })
    reporter.processed()
    await tick(0)
    reporter.phase('fetching')
    for (let i = 0; i < 6; i++) {
      reporter.processed(i + 1, { url: `https://p/${i}`, outcome: 'processed' })
      reporter.processed()
    }
    reporter.failed(2, { url: 'https://p/bad', outcome: 'failed', message: 'timeout' })
    expect(reporter.pending).toBe(14)
    await tick(1_000)
    expect(observed.calls[1]?.inputs).toEqual([
      // Plain calls (6) and dropped details (1 + 2 + 3 + 4 processed) summed.
      { type: 'progress', delta: { processed: 16 } },
      // The phase's own input was dropped; the phase is not.
      { type: 'progress', delta: {}, detail: { phase: 'fetching' } },
      {
        type: 'progress',
        delta: { processed: 5 },
        detail: { url: 'https://p/4', outcome: 'processed' },
      },
      {
        type: 'progress',
        delta: { processed: 6 },
        detail: { url: 'https://p/5', outcome: 'processed' },
      },
      {
        type: 'progress',
        delta: { failed: 2 },
        detail: { url: 'https://p/bad', outcome: 'failed', message: 'timeout' },
      },
    ])
    expect(await totals()).toEqual({ discovered: 0, processed: 28, failed: 2 })

    // A kept detail with a newer phase makes the dropped one moot.
    reporter.phase('old')
    reporter.processed(1, { url: 'https://q/1' })
    reporter.processed(1, { url: 'https://q/2', phase: 'new' })
    reporter.processed(1, { url: 'https://q/3' })
    reporter.processed(1, { url: 'https://q/4' })
    await reporter.flush()
    expect(observed.calls[2]?.inputs).toEqual([
      { type: 'progress', delta: { processed: 1 } },
      { type: 'progress', delta: { processed: 1 }, detail: { url: 'https://q/2', phase: 'new' } },
      { type: 'progress', delta: { processed: 1 }, detail: { url: 'https://q/3' } },
      { type: 'progress', delta: { processed: 1 }, detail: { url: 'https://q/4' } },
    ])
    await reporter.close()
  })

  it('with maxDetails 0 sums every count and keeps only the latest phase', async () => {
    const reporter = reporterFor({ maxDetails: 0 })
    reporter.phase('a')
    reporter.processed(2, { url: 'https://x' })
    reporter.failed(1, { phase: 'b' })
    reporter.processed(0, { message: 'nothing' })
    await reporter.flush()
    expect(observed.calls[0]?.inputs).toEqual([
      { type: 'progress', delta: { processed: 2, failed: 1 } },
      { type: 'progress', delta: {}, detail: { phase: 'b' } },
    ])
    expect(reporter.pending).toBe(0)
    await reporter.close()
  })

  it('splits urls into discovery inputs and calls within the count and byte bounds, in order', async () => {
    const reporter = reporterFor()
    const short = Array.from({ length: 2_500 }, (_, i) => `https://s/${i}`)
    reporter.discovered(short)
    await reporter.flush()
    expect(observed.calls).toHaveLength(1)
    expect(
      observed.calls[0]?.inputs.map((input) => (input as { urls: string[] }).urls.length),
    ).toEqual([1_000, 1_000, 500])

    // 600 urls of 2,048 characters: ~31 per 64 KiB envelope, ~1.2 MiB in all: two calls.
    const long = Array.from({ length: 600 }, (_, i) =>
      `https://l/${String(i).padStart(4, '0')}/`.padEnd(2_048, 'x'),
    )
    reporter.discovered(long)
    reporter.processed(3)
    await reporter.flush()
    const calls = observed.calls.slice(1)
    expect(calls.length).toBeGreaterThan(1)
    expect(calls.every((call) => call.outcome === 'stored')).toBe(true)
    const sent = calls.flatMap((call) =>
      call.inputs.flatMap((input) => (input.type === 'discovery' ? input.urls : [])),
    )
    expect(sent).toEqual(long)
    for (const call of calls) {
      expect(call.inputs.length).toBeLessThanOrEqual(PROGRESS_LIMITS.batchMaxInputs)
      expect(new TextEncoder().encode(JSON.stringify(call.inputs)).byteLength).toBeLessThan(
        PROGRESS_LIMITS.batchMaxBytes,
      )
    }
    expect(new Set(observed.calls.map((call) => call.operationId)).size).toBe(observed.calls.length)
    expect(await totals()).toEqual({ discovered: 3_100, processed: 3, failed: 0 })
    await reporter.close()
  })

  it('keeps totals exact over many random calls, flushes and waits', async () => {
    const operation = fc.oneof(
      fc.record({
        kind: fc.constant('processed' as const),
        count: fc.nat(5),
        detail: fc.boolean(),
      }),
      fc.record({ kind: fc.constant('failed' as const), count: fc.nat(5), detail: fc.boolean() }),
      fc.record({ kind: fc.constant('discovered' as const), urls: fc.nat(30) }),
      fc.record({ kind: fc.constant('phase' as const) }),
      fc.record({ kind: fc.constant('wait' as const), ms: fc.nat(400) }),
      fc.record({ kind: fc.constant('flush' as const) }),
    )
    let run = 0
    await fc.assert(
      fc.asyncProperty(
        fc.array(operation, { maxLength: 150 }),
        fc.record({ maxDetails: fc.nat(5), maxPending: fc.integer({ min: 1, max: 40 }) }),
        async (operations, options) => {
          run += 1
          const crawlId = `random-${run}`
          await observed.inner.start(crawlId)
          const reporter = createProgressReporter(observed.service, crawlId, {
            ...options,
            onError: (error) => errors.push(error),
          })
          const expected = { discovered: 0, processed: 0, failed: 0 }
          let url = 0
          for (const op of operations) {
            if (op.kind === 'processed' || op.kind === 'failed') {
              expected[op.kind] += op.count
              reporter[op.kind](op.count, op.detail ? { url: `https://r/${url++}` } : undefined)
            } else if (op.kind === 'discovered') {
              expected.discovered += op.urls
              reporter.discovered(Array.from({ length: op.urls }, () => `https://d/${url++}`))
            } else if (op.kind === 'phase') {
              reporter.phase(`phase-${url}`)
            } else if (op.kind === 'wait') {
              await tick(op.ms)
            } else {
              await reporter.flush()
            }
          }
          await reporter.close()
          expect(reporter.pending).toBe(0)
          expect((await observed.inner.getSnapshot(crawlId))?.totals).toEqual(expected)
        },
      ),
      { numRuns: 60 },
    )
    expect(errors).toEqual([])
    expect(observed.maxInFlight).toBe(1)
  })
})

describe('createProgressReporter: failures', () => {
  it('retries a batch whose reply was lost under the same operation id: applied once', async () => {
    const reporter = reporterFor({ flushIntervalMs: 100 })
    observed.lostReplies = 2
    reporter.processed(3)
    await tick(0)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toBeInstanceOf(ProgressBackendError)
    expect(reporter.pending).toBe(1)
    // Newer changes queue behind the kept batch.
    reporter.processed(4)
    await tick(100)
    expect(errors).toHaveLength(2)
    await tick(200)
    expect(observed.calls.map((call) => [call.operationId, progressOf(call)])).toEqual([
      [observed.calls[0]?.operationId, [{ type: 'progress', delta: { processed: 3 } }]],
      [observed.calls[0]?.operationId, [{ type: 'progress', delta: { processed: 3 } }]],
      [observed.calls[0]?.operationId, [{ type: 'progress', delta: { processed: 3 } }]],
      [observed.calls[3]?.operationId, [{ type: 'progress', delta: { processed: 4 } }]],
    ])
    expect(observed.calls[3]?.operationId).not.toBe(observed.calls[0]?.operationId)
    expect(reporter.pending).toBe(0)
    expect(await observed.inner.getSnapshot(CRAWL)).toMatchObject({
      seq: 2,
      totals: { processed: 7 },
    })
    await reporter.close()
  })

  it('retries a refused batch, backing off, and flush() rejects with the error while the batch stays', async () => {
    const reporter = reporterFor({ flushIntervalMs: 100, operationIdPrefix: 'worker-3' })
    observed.refusals = 1_000
    reporter.processed(2)
    await tick(0)
    await tick(100) // retry 1 after 100 ms
    await tick(200) // retry 2 after 200 ms more
    await tick(400)
    await tick(800)
    expect(observed.calls).toHaveLength(5)
    await tick(1_599)
    expect(observed.calls).toHaveLength(5)
    await expect(reporter.flush()).rejects.toBeInstanceOf(ProgressBackendError)
    expect(reporter.pending).toBe(1)
    expect(new Set(observed.calls.map((call) => call.operationId))).toEqual(new Set(['worker-3:1']))
    observed.refusals = 0
    reporter.failed()
    await reporter.flush()
    expect(await totals()).toEqual({ discovered: 0, processed: 2, failed: 1 })
    expect(observed.calls.at(-2)?.operationId).toBe('worker-3:1')
    expect(observed.calls.at(-1)?.operationId).toBe('worker-3:2')
    expect(errors.length).toBe(5)
    await reporter.close()
  })

  it('stops when another caller closed the crawl: flush rejects with CrawlClosedError', async () => {
    const reporter = reporterFor()
    reporter.processed()
    await tick(0)
    await observed.inner.complete(CRAWL, {})
    const base = observed.inner.diagnostics().timers
    reporter.processed()
    await tick(250)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toBeInstanceOf(CrawlClosedError)
    expect(reporter.closed).toBe(true)
    expect(vi.getTimerCount()).toBe(base)
    expect(() => reporter.processed()).toThrow(CrawlClosedError)
    await expect(reporter.flush()).rejects.toBeInstanceOf(CrawlClosedError)
    await expect(reporter.close()).rejects.toBeInstanceOf(CrawlClosedError)
    await tick(60_000)
    expect(errors).toHaveLength(1)
  })

  it('stops when the crawl is gone, and complete() surfaces CrawlNotFoundError', async () => {
    const reporter = reporterFor()
    await observed.inner.cleanup(CRAWL)
    reporter.processed()
    await expect(reporter.flush()).rejects.toBeInstanceOf(CrawlNotFoundError)
    expect(reporter.closed).toBe(true)
    await expect(reporter.complete()).rejects.toBeInstanceOf(CrawlNotFoundError)
    expect(errors).toEqual([])
  })

  it('surfaces a total overflow once and drops that batch rather than retrying it forever', async () => {
    await observed.inner.increment(CRAWL, { processed: MAX_TOTAL - 1 })
    const reporter = reporterFor({ flushIntervalMs: 100 })
    reporter.processed(5)
    await tick(0)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ code: 'invalid-input', field: 'totals.processed' })
    expect(reporter.pending).toBe(0)
    await tick(10_000)
    expect(observed.calls).toHaveLength(1)
    reporter.failed()
    await reporter.close()
    expect(await totals()).toEqual({ discovered: 0, processed: MAX_TOTAL - 1, failed: 1 })
  })
})

describe('createProgressReporter: heartbeat', () => {
  it('beats while idle, not while batches flow, and stops once the crawl is closed', async () => {
    const heartbeat = vi.spyOn(observed.inner, 'heartbeat')
    const reporter = reporterFor({ heartbeatIntervalMs: 10_000 })
    await tick(9_999)
    expect(heartbeat).not.toHaveBeenCalled()
    await tick(1)
    expect(heartbeat).toHaveBeenCalledTimes(1)
    expect(heartbeat).toHaveBeenLastCalledWith(CRAWL, {})
    await tick(10_000)
    expect(heartbeat).toHaveBeenCalledTimes(2)

    // A batch every second for a minute: no heartbeat needed.
    for (let s = 0; s < 60; s++) {
      reporter.processed()
      await tick(1_000)
    }
    expect(heartbeat).toHaveBeenCalledTimes(2)
    await tick(10_000)
    expect(heartbeat).toHaveBeenCalledTimes(3)

    // Closed by someone else: the answer is false and the beating stops.
    await observed.inner.complete(CRAWL, {})
    await tick(10_000)
    expect(heartbeat).toHaveBeenCalledTimes(4)
    await expect(heartbeat.mock.results[3]?.value).resolves.toBe(false)
    await tick(60_000)
    expect(heartbeat).toHaveBeenCalledTimes(4)
    await reporter.close()
    expect(vi.getTimerCount()).toBe(observed.inner.diagnostics().timers)
  })

  it('reports a failed heartbeat, keeps beating, and stops on a crawl that is gone', async () => {
    const heartbeat = vi
      .spyOn(observed.inner, 'heartbeat')
      .mockRejectedValueOnce(new Error('timeout'))
    const reporter = reporterFor({ heartbeatIntervalMs: 1_000 })
    await tick(1_000)
    expect(errors[0]).toBeInstanceOf(ProgressBackendError)
    await tick(1_000)
    expect(heartbeat).toHaveBeenCalledTimes(2)
    await observed.inner.cleanup(CRAWL)
    await tick(1_000)
    expect(errors[1]).toBeInstanceOf(CrawlNotFoundError)
    expect(reporter.closed).toBe(true)
    await tick(10_000)
    expect(heartbeat).toHaveBeenCalledTimes(3)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('does not beat with heartbeatIntervalMs false', async () => {
    const heartbeat = vi.spyOn(observed.inner, 'heartbeat')
    const reporter = reporterFor({ heartbeatIntervalMs: false })
    expect(vi.getTimerCount()).toBe(observed.inner.diagnostics().timers)
    await tick(100_000)
    expect(heartbeat).not.toHaveBeenCalled()
    await reporter.close()
  })
})

describe('createProgressReporter: validation', () => {
  const invalid = (run: () => void, field: string) => {
    expect(run).toThrow(ProgressValidationError)
    try {
      run()
    } catch (error) {
      expect((error as ProgressValidationError).field).toBe(field)
    }
  }

  it('rejects invalid calls synchronously and records nothing', async () => {
    const reporter = reporterFor()
    invalid(() => reporter.processed(-1), 'count')
    invalid(() => reporter.processed(1.5), 'count')
    invalid(() => reporter.failed(Number.NaN), 'count')
    invalid(() => reporter.failed(MAX_TOTAL + 1), 'count')
    invalid(() => reporter.processed('3' as never), 'count')
    invalid(() => reporter.processed(1, { url: '' }), 'detail.url')
    invalid(() => reporter.failed(1, { outcome: 'maybe' } as never), 'detail.outcome')
    invalid(() => reporter.processed(1, { extra: 1 } as never), 'detail')
    invalid(() => reporter.processed(1, 'x' as never), 'detail')
    invalid(() => reporter.phase(''), 'detail.phase')
    invalid(
      () => reporter.phase('p'.repeat(PROGRESS_LIMITS.detailPhaseMaxLength + 1)),
      'detail.phase',
    )
    invalid(() => reporter.discovered('https://a' as never), 'urls')
    invalid(() => reporter.discovered(['https://a', '']), 'urls.1')
    const many = Array.from({ length: 2_000 }, (_, i) => `https://m/${i}`)
    many[1_500] = 'x'.repeat(PROGRESS_LIMITS.urlMaxLength + 1)
    invalid(() => reporter.discovered(many), 'urls.1500')
    invalid(() => reporter.discovered([7] as never), 'urls.0')

    reporter.processed(MAX_TOTAL)
    invalid(() => reporter.processed(1), 'totals.processed')
    invalid(() => reporter.processed(1, { url: 'https://a' }), 'totals.processed')
    expect(reporter.pending).toBe(1)
    await reporter.flush()
    expect(await totals()).toEqual({ discovered: 0, processed: MAX_TOTAL, failed: 0 })
    expect(observed.calls).toHaveLength(1)
    // Nothing else was recorded: no pending call, no second batch.
    await tick(60_000)
    expect(observed.calls).toHaveLength(1)

    // An empty list or a zero count without detail records nothing.
    reporter.discovered([])
    reporter.processed(0)
    expect(reporter.pending).toBe(0)
    await reporter.close()
  })

  it('rejects invalid options and crawl ids', () => {
    const make =
      (options: ProgressReporterOptions, crawlId = CRAWL) =>
      () =>
        createProgressReporter(observed.service, crawlId, options)
    invalid(make({}, 'a b'), 'crawlId')
    invalid(make({ flushIntervalMs: -1 }), 'options.flushIntervalMs')
    invalid(make({ flushIntervalMs: Number.POSITIVE_INFINITY }), 'options.flushIntervalMs')
    invalid(make({ maxPending: 0 }), 'options.maxPending')
    invalid(make({ maxDetails: 1.5 }), 'options.maxDetails')
    invalid(make({ heartbeatIntervalMs: 0 }), 'options.heartbeatIntervalMs')
    invalid(make({ heartbeatIntervalMs: true as never }), 'options.heartbeatIntervalMs')
    invalid(make({ operationIdPrefix: 'has space' }), 'options.operationIdPrefix')
    invalid(make({ operationIdPrefix: 'x'.repeat(101) }), 'options.operationIdPrefix')
    invalid(make({ onError: 'log' as never }), 'options.onError')
    expect(vi.getTimerCount()).toBe(observed.inner.diagnostics().timers)
  })
})

describe('createProgressReporter: real timers', () => {
  beforeEach(() => {
    vi.useRealTimers()
  })

  it('keeps no timer that holds the process open', async () => {
    const service = new MemoryProgressService()
    await service.start('unref')
    // Every timer the reporter makes, seen as it is made: a count of the process's timers would
    // also count (and race) timers that are not the reporter's.
    const made: ReturnType<typeof setTimeout>[] = []
    const original = globalThis.setTimeout
    const spy = vi.spyOn(globalThis, 'setTimeout').mockImplementation(((
      ...args: Parameters<typeof setTimeout>
    ) => {
      const timer = original(...args)
      made.push(timer)
      return timer
    }) as typeof setTimeout)
    try {
      const reporter = createProgressReporter(service, 'unref', { flushIntervalMs: 60_000 })
      reporter.processed()
      await new Promise((resolve) => setImmediate(resolve))
      reporter.processed()
      expect(reporter.pending).toBe(1)
      // The heartbeat and the interval's flush.
      expect(made.length).toBeGreaterThanOrEqual(2)
      expect(made.filter((timer) => timer.hasRef())).toEqual([])
      await reporter.close()
    } finally {
      spy.mockRestore()
    }
    expect((await service.getSnapshot('unref'))?.totals.processed).toBe(2)
    await service.close()
  })
})
