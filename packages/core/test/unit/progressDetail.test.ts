import {
  MemoryProgressService,
  PROGRESS_LIMITS,
  type ProgressDetail,
  type ProgressEnvelope,
  type ProgressInput,
  ProgressValidationError,
  parseInput,
  parseInputs,
  progressDetailSchema,
  progressEnvelopeSchema,
} from '@docspasta/progress-core'
import { toPublishScriptArgs } from '@docspasta/progress-core/lua'
import { afterEach, describe, expect, it } from 'vitest'
import { measureInputs } from '../../src/validate.js'

const { urlMaxLength, detailMessageMaxLength, detailPhaseMaxLength } = PROGRESS_LIMITS
const utf8 = (text: string) => new TextEncoder().encode(text).byteLength
const progress = (detail?: unknown): ProgressInput =>
  (detail === undefined
    ? { type: 'progress', delta: { processed: 1 } }
    : { type: 'progress', delta: { processed: 1 }, detail }) as ProgressInput
/** The field a rejected call names, or undefined when it succeeds. */
const fieldOf = (run: () => unknown): string | undefined => {
  try {
    run()
    return undefined
  } catch (error) {
    expect(error).toBeInstanceOf(ProgressValidationError)
    return (error as ProgressValidationError).field
  }
}

describe('progressDetailSchema', () => {
  it('accepts every field at its bounds, and an empty detail', () => {
    const longest: ProgressDetail = {
      url: `https://a/${'x'.repeat(urlMaxLength - 10)}`,
      outcome: 'skipped',
      message: 'é'.repeat(detailMessageMaxLength),
      phase: 'p'.repeat(detailPhaseMaxLength),
    }
    expect(progressDetailSchema.parse(longest)).toEqual(longest)
    expect(progressDetailSchema.parse({ url: 'u', phase: 'p', message: '' })).toEqual({
      url: 'u',
      phase: 'p',
      message: '',
    })
    for (const outcome of ['processed', 'failed', 'skipped'] as const) {
      expect(progressDetailSchema.parse({ outcome })).toEqual({ outcome })
    }
    expect(progressDetailSchema.parse({})).toEqual({})
    // Lengths are counted in code points (as zod counts them): 500 emoji fit in a message.
    expect(progressDetailSchema.safeParse({ message: '😀'.repeat(500) }).success).toBe(true)
    expect(progressDetailSchema.safeParse({ message: '😀'.repeat(501) }).success).toBe(false)
    expect(progressDetailSchema.safeParse({ phase: '😀'.repeat(65) }).success).toBe(false)
  })

  it('rejects each field past its bounds, unknown keys and non-objects, naming the field', () => {
    const cases: [unknown, string][] = [
      [{ url: '' }, 'detail.url'],
      [{ url: 'x'.repeat(urlMaxLength + 1) }, 'detail.url'],
      [{ url: 7 }, 'detail.url'],
      [{ outcome: 'ok' }, 'detail.outcome'],
      [{ outcome: 'Processed' }, 'detail.outcome'],
      [{ message: 'x'.repeat(detailMessageMaxLength + 1) }, 'detail.message'],
      [{ message: null }, 'detail.message'],
      [{ phase: '' }, 'detail.phase'],
      [{ phase: 'p'.repeat(detailPhaseMaxLength + 1) }, 'detail.phase'],
      [{ url: 'u', extra: true }, 'detail'],
      [{ status: 'processed' }, 'detail'],
      [null, 'detail'],
      ['https://a', 'detail'],
      [['https://a'], 'detail'],
    ]
    for (const [detail, field] of cases) {
      expect(fieldOf(() => parseInput(progress(detail)))).toBe(field)
      expect(fieldOf(() => parseInputs([progress(), progress(detail)]))).toBe(`inputs.1.${field}`)
    }
    // Only progress inputs take a detail.
    expect(fieldOf(() => parseInput({ type: 'discovery', urls: ['u'], detail: {} } as never))).toBe(
      'input',
    )
  })

  it('is part of the progress envelope schema, with the same bounds', () => {
    const envelope = {
      v: 1,
      epoch: 'e',
      seq: 1,
      crawlId: 'c',
      ts: 0,
      totals: { discovered: 0, processed: 1, failed: 0 },
      type: 'progress',
      delta: { processed: 1 },
      detail: { url: 'https://a', outcome: 'processed', phase: 'fetch' },
    }
    expect(progressEnvelopeSchema.parse(envelope)).toEqual(envelope)
    expect(progressEnvelopeSchema.safeParse({ ...envelope, detail: { phase: '' } }).success).toBe(
      false,
    )
  })
})

describe('invalid details on the memory backend', () => {
  let service: MemoryProgressService
  afterEach(async () => {
    await service.close()
  })

  it('are rejected with the field path, and write nothing', async () => {
    service = new MemoryProgressService()
    await service.start('detail-invalid')
    await service.publish('detail-invalid', progress({ url: 'https://a', phase: 'fetch' }))
    const seen: ProgressEnvelope[] = []
    await service.subscribe('detail-invalid', (e) => seen.push(e), { afterSeq: 1 })
    const before = await service.getSnapshot('detail-invalid')
    const calls: [() => Promise<unknown>, string][] = [
      [() => service.publish('detail-invalid', progress({ url: '' })), 'detail.url'],
      [() => service.publish('detail-invalid', progress({ outcome: 'done' })), 'detail.outcome'],
      [
        () => service.publish('detail-invalid', progress({ message: 'x'.repeat(501) })),
        'detail.message',
      ],
      [
        () => service.publish('detail-invalid', progress({ phase: 'p'.repeat(65) })),
        'detail.phase',
      ],
      [() => service.publish('detail-invalid', progress({ note: 'x' })), 'detail'],
      [
        () =>
          service.publishBatch('detail-invalid', [
            progress({ url: 'https://b' }),
            progress({ url: 'https://c', extra: 1 }),
          ]),
        'inputs.1.detail',
      ],
    ]
    for (const [call, field] of calls) {
      await expect(call()).rejects.toMatchObject({ code: 'invalid-input', field })
    }
    expect(await service.getSnapshot('detail-invalid')).toEqual(before)
    expect(seen).toEqual([])
    // The crawl goes on: the next valid call gets the next seq.
    const next = await service.publish('detail-invalid', progress({ outcome: 'failed' }))
    expect(next).toMatchObject({ seq: 2, detail: { outcome: 'failed' } })
  })
})

describe('measureInputs with a detail', () => {
  const crawlId = 'crawl-1'
  const frame = PROGRESS_LIMITS.envelopeFrameMaxBytes + crawlId.length
  const atPath = (index: number) => `inputs.${index}`

  it('bounds a progress input without a detail at the delta bound, serializing nothing', () => {
    const { sizes, payloads } = measureInputs(crawlId, [progress()], () => '')
    expect(payloads).toEqual([undefined])
    expect(sizes).toEqual([frame + 80])
  })

  it('adds the detail JSON and `,"detail":` to the bound, and hands its JSON on', () => {
    const detail = { url: 'https://a/ü', outcome: 'processed', message: '😀 ok', phase: 'fetch' }
    const input = parseInput(progress(detail))
    const { sizes, payloads } = measureInputs(crawlId, [progress(), input], atPath)
    const json = JSON.stringify(detail)
    expect(payloads).toEqual([undefined, json])
    expect(sizes).toEqual([frame + 80, frame + 80 + ',"detail":'.length + utf8(json)])
  })

  it('keeps every envelope within its bound, the largest detail included', async () => {
    const service = new MemoryProgressService()
    const id = 'x'.repeat(PROGRESS_LIMITS.crawlIdMaxLength)
    await service.start(id)
    const inputs = [
      progress({
        url: `https://a/${'\u0001'.repeat(urlMaxLength - 10)}`,
        outcome: 'processed',
        message: '\u2028'.repeat(detailMessageMaxLength),
        phase: '"'.repeat(detailPhaseMaxLength),
      }),
      parseInput({
        type: 'progress',
        delta: {
          discovered: Number.MAX_SAFE_INTEGER,
          // The first input took one already.
          processed: Number.MAX_SAFE_INTEGER - 1,
          failed: Number.MAX_SAFE_INTEGER,
        },
        detail: { url: '😀'.repeat(urlMaxLength / 2) },
      }),
    ]
    const { sizes } = measureInputs(id, inputs.map(parseInput), atPath)
    const envelopes = await service.publishBatch(id, inputs)
    envelopes.forEach((envelope, index) => {
      expect(utf8(JSON.stringify(envelope))).toBeLessThanOrEqual(sizes[index] as number)
    })
    await service.close()
  })

  it('names `detail` for an envelope over the limit, and `inputs` for a call over it', () => {
    // Beyond what validation lets through: measureInputs still names the field that grew.
    const huge = progress({ message: 'x'.repeat(PROGRESS_LIMITS.envelopeMaxBytes) })
    expect(fieldOf(() => measureInputs(crawlId, [huge], () => ''))).toBe('detail')
    expect(fieldOf(() => measureInputs(crawlId, [progress(), huge], atPath))).toBe(
      'inputs.1.detail',
    )
    // Each envelope fits; 400 of them with ~3 KB details do not fit in one call.
    const large = parseInput(
      progress({ url: `https://a/${'x'.repeat(urlMaxLength - 10)}`, message: 'm'.repeat(500) }),
    )
    const inputs = Array.from({ length: 400 }, () => large)
    expect(fieldOf(() => measureInputs(crawlId, inputs, atPath))).toBe('inputs')
    expect(fieldOf(() => measureInputs(crawlId, inputs.slice(0, 300), atPath))).toBeUndefined()
  })
})

describe('publish-4.lua payload fragments', () => {
  it('is `"delta":{…}` without a detail and `"delta":{…},"detail":{…}` with one', () => {
    const plain = toPublishScriptArgs([progress()])
    expect(plain).toEqual(['progress', '0', '1', '0', '"delta":{"processed":1}'])
    const detail = { url: 'https://a/ü', outcome: 'failed', message: '"quoted"\n😀' } as const
    const withDetail = toPublishScriptArgs([parseInput(progress(detail))]).at(-1) as string
    expect(withDetail).toBe(`"delta":{"processed":1},"detail":${JSON.stringify(detail)}`)
    expect(JSON.parse(`{${withDetail}}`)).toEqual({ delta: { processed: 1 }, detail })
  })

  it("reuses the detail JSON measureInputs made, and only a progress input's own", () => {
    const inputs = [parseInput(progress({ phase: 'fetch' })), progress()]
    const { payloads } = measureInputs('c', inputs, () => '')
    const args = toPublishScriptArgs(inputs, payloads)
    expect(args[4]).toBe('"delta":{"processed":1},"detail":{"phase":"fetch"}')
    expect(args[9]).toBe('"delta":{"processed":1}')
    // The given JSON is spliced as it is, not serialized again.
    expect(toPublishScriptArgs(inputs, ['{"phase":"given"}'])[4]).toBe(
      '"delta":{"processed":1},"detail":{"phase":"given"}',
    )
  })
})
