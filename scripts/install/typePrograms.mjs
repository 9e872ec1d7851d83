// The TypeScript a user writes against every entry, and a tsconfig for each way to resolve it.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { runCommand as run } from '../runCommand.mjs'

// Used by every type-checking configuration, so it avoids top-level await (CommonJS output).
const TYPES_PROGRAM = `import { createServer } from 'node:http'
import {
  type ProgressEnvelope,
  PROGRESS_LIMITS,
  isTerminalEnvelope,
} from '@docspasta/progress-protocol'
import {
  MemoryProgressService,
  ProgressError,
  type ProgressService,
  createProgressStreamServer,
} from '@docspasta/progress-core'
import { type NodeProgressHandler, createNodeProgressHandler } from '@docspasta/progress-core/node'
import { type LuaScriptName, luaScripts } from '@docspasta/progress-core/lua'
import { RedisProgressService } from '@docspasta/progress-redis'
import { Redis } from 'ioredis'
import * as client from '@docspasta/progress-client'
import {
  type ProgressState,
  type ProgressSubscriptionHandle,
  type TerminalEnvelope,
  initialProgressState,
  reduceProgress,
  subscribeProgress,
} from '@docspasta/progress-client'
import {
  ProgressError as ClientProgressError,
  progressStreamPath,
} from '@docspasta/progress-client/protocol'
import { validateEnvelope } from '@docspasta/progress-client/validate'
import {
  type UseProgressOptions,
  type UseProgressResult,
  useProgress,
} from '@docspasta/progress-client/react'
import { createElement, type ReactElement } from 'react'

export async function crawl(): Promise<ProgressState> {
  const service: ProgressService = new MemoryProgressService()
  await service.start('crawl-1')
  const received: unknown[] = []
  await service.subscribe('crawl-1', (envelope) => void received.push(envelope))
  await service.publish('crawl-1', { type: 'progress', delta: { processed: 1 } })
  await service.complete('crawl-1', { pages: PROGRESS_LIMITS.urlsPerDiscovery })
  // What core delivers is what the client reduces: both are typed by the one protocol package.
  const envelopes: ProgressEnvelope[] = received.map((e) => validateEnvelope(e))
  const terminal: TerminalEnvelope | undefined = envelopes.find(isTerminalEnvelope)
  if (terminal === undefined) throw new ProgressError('crawl-not-found', 'no terminal')
  return envelopes.reduce(reduceProgress, initialProgressState)
}

export function wire(redis: Redis): {
  handler: NodeProgressHandler
  script: LuaScriptName | undefined
  subscription: ProgressSubscriptionHandle
} {
  const service = new RedisProgressService({ redis, prefix: 'app:progress' })
  const handler = createNodeProgressHandler(createProgressStreamServer({ service }))
  createServer((request, response) => void handler(request, response))
  const subscription = subscribeProgress(progressStreamPath('crawl-1'), {
    baseUrl: 'http://127.0.0.1:3000',
    validate: validateEnvelope,
    onEvent: (envelope: ProgressEnvelope) => void envelope.seq,
  })
  const script = Object.keys(luaScripts)[0] as LuaScriptName | undefined
  return { handler, script, subscription }
}

// The hook, under React 18's types: its result is the default entry's types, its options
// subscribeProgress's but those it owns.
export function CrawlProgress(props: { crawlId: string | null }): ReactElement {
  const options: UseProgressOptions = {
    resumeKey: 'progress',
    onEvent: (envelope: ProgressEnvelope) => void envelope.seq,
    onError: (error: client.ProgressClientError) => void error.code,
  }
  const url = props.crawlId === null ? null : progressStreamPath(props.crawlId)
  const result: UseProgressResult = useProgress(url, options)
  const state: ProgressState = result.state
  const status: 'idle' | client.ProgressClientStatus = result.status
  const error: client.ProgressClientError | null = result.error
  const retryAt: number | null = result.retryAt
  return createElement('p', null, [state.totals.processed, status, error?.code, retryAt].join(' '))
}
// @ts-expect-error the hook owns the subscription's lifetime
export const hookSignal: UseProgressOptions = { signal: new AbortController().signal }
// @ts-expect-error the result's status stands for onStatus
export const hookStatus: UseProgressOptions = { onStatus: () => undefined }

// One error class, whichever entry names it.
export const errorClass: typeof ProgressError = ClientProgressError
// Removed from the client's default entry in this release (types agree with the runtime).
// @ts-expect-error EnvelopeGate is no longer exported
export const gate = client.EnvelopeGate
// @ts-expect-error backoffDelay is no longer exported
export const delay = client.backoffDelay
`

// The testing package, in the ESM configurations only (it has no CommonJS entry).
const TESTING_TYPES_PROGRAM = `import {
  type ConformanceTarget,
  EnvelopeRecorder,
  describeProgressServiceConformance,
} from '@docspasta/progress-testing'
import { MemoryProgressService } from '@docspasta/progress-core'
import { RedisProgressService } from '@docspasta/progress-redis'
import { Redis } from 'ioredis'

export async function record(): Promise<number> {
  const service = new MemoryProgressService()
  await service.start('crawl-1')
  const recorder = new EnvelopeRecorder()
  await service.subscribe('crawl-1', recorder.handler, recorder.options())
  await service.complete('crawl-1', {})
  await recorder.waitForTerminal()
  return recorder.envelopes.length
}

export function register(redis: Redis): void {
  const target: ConformanceTarget = {
    name: 'redis',
    create: (options) => new RedisProgressService({ ...options, redis }),
  }
  describeProgressServiceConformance(target)
}
`

// Each way a user's tsconfig resolves packages, under strict and with the libraries' own
// declarations checked (skipLibCheck false, TypeScript's default).
export const TYPE_CONFIGS = [
  {
    name: 'node16-esm',
    type: 'module',
    esm: true,
    options: { module: 'node16', moduleResolution: 'node16' },
  },
  {
    name: 'node16-cjs',
    type: 'commonjs',
    options: { module: 'node16', moduleResolution: 'node16' },
  },
  {
    name: 'bundler',
    type: 'module',
    esm: true,
    options: { module: 'esnext', moduleResolution: 'bundler' },
  },
  { name: 'node10', type: 'commonjs', options: { module: 'commonjs', moduleResolution: 'node' } },
]

/** Typechecks one configuration; fails with tsc's output (any error, ours or a dependency's). */
export async function typecheck(app, tsc, config) {
  const dir = writeTypeProject(app, config)
  await run('node', [tsc, '-p', dir], { cwd: app })
  return ''
}

function writeTypeProject(app, { name, type, esm, options }) {
  const dir = join(app, 'types', name)
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ private: true, type })}\n`)
  writeFileSync(join(dir, 'index.ts'), TYPES_PROGRAM)
  const files = ['index.ts']
  if (esm) {
    writeFileSync(join(dir, 'testing.ts'), TESTING_TYPES_PROGRAM)
    files.push('testing.ts')
  }
  const compilerOptions = {
    ...options,
    target: 'es2022',
    lib: ['es2022'],
    types: ['node'],
    strict: true,
    skipLibCheck: false,
    noEmit: true,
    esModuleInterop: true,
  }
  writeFileSync(
    join(dir, 'tsconfig.json'),
    `${JSON.stringify({ compilerOptions, files }, null, 2)}\n`,
  )
  return dir
}
