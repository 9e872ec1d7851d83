import type { ProgressInput } from '@docspasta/progress-core'
import { RedisProgressService } from '@docspasta/progress-redis'
import type { Redis } from 'ioredis'

/** What one cell of the bench calls: one call publishes `inputs.length` events. */
export type TargetName = 'sdk' | 'evalsha' | 'minimal'

/** One call against one crawl; resolves when Redis answered. */
export type Call = (crawlId: string, callIndex: number) => Promise<unknown>

export interface PreparedTarget {
  /** Must run once per crawl before its first call (outside the measured time). */
  prepare(crawlId: string): Promise<void>
  call: Call
}

/**
 * The least a progress event can cost: one counter, one stream entry (capped approximately, so
 * memory stays bounded), one message per call. No status check, ids, tags, exact trims or TTLs.
 */
export const MINIMAL_SCRIPT = `
local n = #ARGV - 1
local seq = redis.call('HINCRBY', KEYS[1], 'seq', n) - n
local out = {}
for i = 2, #ARGV do
  seq = seq + 1
  local envelope = '{"seq":' .. seq .. ',' .. ARGV[i] .. '}'
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[1], seq .. '-0', 'e', envelope)
  out[#out + 1] = envelope
end
redis.call('PUBLISH', KEYS[3], '[' .. table.concat(out, ',') .. ']')
return out
`

export function progressInputs(count: number): ProgressInput[] {
  return Array.from({ length: count }, () => ({ type: 'progress', delta: { processed: 1 } }))
}

/** 16 characters like the SDK's default ids, unique per call of one run. */
function operationId(runId: string, callIndex: number): string {
  return `${runId}${callIndex.toString(36).padStart(10, '0')}`
}

/** The SDK's own calls: publish() for one input, publishBatch() for more. */
export function sdkTarget(service: RedisProgressService, inputs: ProgressInput[]): PreparedTarget {
  const single = inputs[0] as ProgressInput
  return {
    prepare: async (crawlId) => {
      await service.start(crawlId)
    },
    call:
      inputs.length === 1
        ? (crawlId) => service.publish(crawlId, single)
        : (crawlId) => service.publishBatch(crawlId, inputs),
  }
}

interface CapturedCall {
  sha: string
  numberOfKeys: number
  crawlId: string
  operationId: string
  keysAndArgs: string[]
}

/**
 * The exact EVALSHA the SDK sends for these inputs, captured from one real call: whatever the
 * script's arguments are, the raw target sends the same ones, with its own crawl id and a fresh
 * operation id per call.
 */
export async function captureSdkCall(
  redis: Redis,
  inputs: ProgressInput[],
  options: { prefix: string },
): Promise<CapturedCall> {
  const recorder = redis.duplicate()
  const calls: unknown[][] = []
  const original = recorder.evalsha.bind(recorder) as (...args: unknown[]) => Promise<unknown>
  ;(recorder as unknown as { evalsha: (...args: unknown[]) => Promise<unknown> }).evalsha = (
    ...args: unknown[]
  ) => {
    calls.push(args)
    return original(...args)
  }
  const service = new RedisProgressService({ redis: recorder, prefix: options.prefix })
  const crawlId = 'capture-crawl-0000'
  const operation = 'captureoperation'
  try {
    await service.start(crawlId)
    await service.publishBatch(crawlId, inputs, { operationId: operation })
  } finally {
    await service.close()
    recorder.disconnect()
  }
  const publishCall = calls.find((args) => args.includes(operation))
  if (!publishCall) throw new Error('the SDK sent no EVALSHA carrying the operation id')
  const [sha, numberOfKeys, ...keysAndArgs] = publishCall as [string, number, ...unknown[]]
  return {
    sha,
    numberOfKeys: Number(numberOfKeys),
    crawlId,
    operationId: operation,
    keysAndArgs: keysAndArgs.map(String),
  }
}

/** Raw EVALSHA of the SDK's own publish script with the arguments the SDK sends. */
export function evalshaTarget(
  redis: Redis,
  service: RedisProgressService,
  captured: CapturedCall,
  runId: string,
): PreparedTarget {
  const templates = new Map<string, { values: string[]; opAt: number }>()
  const { numberOfKeys } = captured
  return {
    prepare: async (crawlId) => {
      await service.start(crawlId)
      const values = captured.keysAndArgs.map((value) =>
        value.split(captured.crawlId).join(crawlId),
      )
      templates.set(crawlId, { values, opAt: captured.keysAndArgs.indexOf(captured.operationId) })
    },
    call: (crawlId, callIndex) => {
      const template = templates.get(crawlId)
      if (!template) throw new Error(`crawl ${crawlId} was not prepared`)
      const values = template.values.slice()
      values[template.opAt] = operationId(runId, callIndex)
      return redis.evalsha(captured.sha, numberOfKeys, ...values)
    },
  }
}

/** The minimal script with one progress fragment per input, on keys named like the SDK's. */
export function minimalTarget(
  redis: Redis,
  sha: string,
  prefix: string,
  inputs: number,
  historyLimit: number,
): PreparedTarget {
  const args = [
    String(historyLimit),
    ...Array.from({ length: inputs }, () => '"delta":{"processed":1}'),
  ]
  return {
    prepare: async () => {},
    call: (crawlId) => {
      const tag = `${prefix}:{${crawlId}}`
      return redis.evalsha(sha, 3, `${tag}:state`, `${tag}:events`, tag, ...args)
    },
  }
}
