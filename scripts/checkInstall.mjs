// Installs the five packages the way a user does, from the tarballs `pnpm pack` makes (so
// publishConfig and the workspace: ranges are applied exactly as on publish), into fresh npm
// projects outside the repository, then imports, requires and typechecks every documented entry.
// publint and attw (scripts/checkPackage.mjs) judge a tarball's metadata; this runs it.
//
// Assumes `pnpm build` has run. Every check runs even after another failed, so one run lists
// every problem; the exit code is non-zero if any failed.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gunzipSync } from 'node:zlib'
import { runCommand as run } from './runCommand.mjs'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
// In dependency order; `dir` is the folder under packages/.
const PACKAGES = [
  { dir: 'protocol', name: '@docspasta/progress-protocol' },
  { dir: 'core', name: '@docspasta/progress-core' },
  { dir: 'redis', name: '@docspasta/progress-redis' },
  { dir: 'client', name: '@docspasta/progress-client' },
  { dir: 'testing', name: '@docspasta/progress-testing' },
]
// What users add next to our packages: the peers (ioredis within redis's ^5.11 || ^6, vitest
// within testing's >=3) and the TypeScript toolchain. Exact versions, so a run is reproducible
// and npm's cache answers after the first one.
// zod at the lowest version core's range allows, so the programs below run on it.
const USER_DEPENDENCIES = [
  'ioredis@6.0.0',
  'vitest@4.1.12',
  'typescript@5.9.3',
  '@types/node@20',
  'zod@4.1.0',
]
// A program that hangs (a terminal that never comes) fails the check instead of holding CI.
const PROGRAM_RUN = (cwd) => ({ cwd, timeout: 60_000 })
// A tarball holds these and dist/**, nothing else (no src/, tests or configs).
const ALLOWED_FILES = new Set(['package.json', 'README.md', 'LICENSE'])

const failures = []
const summary = []
const started = Date.now()

/** Runs one check; records its outcome instead of stopping, so later checks still run. */
async function check(label, body) {
  const at = Date.now()
  // The slot is taken before awaiting, so the summary keeps the order of the checks.
  const slot = summary.push(`...   ${label}`) - 1
  try {
    const detail = await body()
    summary[slot] = `ok    ${label}${detail ? `: ${detail}` : ''} (${seconds(at)})`
    return true
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    failures.push(`${label}: ${message}`)
    summary[slot] = `FAIL  ${label} (${seconds(at)})`
    return false
  }
}

const seconds = (since) => `${((Date.now() - since) / 1000).toFixed(1)} s`

/** The regular files of a .tgz, read with zlib and a minimal ustar parser (pax paths included). */
function tarballFiles(path) {
  const data = gunzipSync(readFileSync(path))
  const files = new Map()
  let paxPath
  for (let offset = 0; offset + 512 <= data.length; ) {
    const header = data.subarray(offset, offset + 512)
    if (header.every((byte) => byte === 0)) break
    const field = (start, length) =>
      header
        .subarray(start, start + length)
        .toString('utf8')
        .replace(/\0.*$/s, '')
    const size = Number.parseInt(field(124, 12).trim() || '0', 8)
    const type = field(156, 1)
    const body = data.subarray(offset + 512, offset + 512 + size)
    const prefix = field(345, 155)
    const name = paxPath ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100))
    paxPath = undefined
    if (type === 'x') paxPath = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.toString('utf8'))?.[1]
    else if (type === '0' || type === '') files.set(name.replace(/^package\//, ''), body)
    offset += 512 + Math.ceil(size / 512) * 512
  }
  return files
}

/** What is wrong in one tarball's file list and metadata; an empty list when nothing is. */
function tarballProblems(files) {
  const problems = [...ALLOWED_FILES]
    .filter((file) => !files.has(file))
    .map((file) => `lacks ${file}`)
  for (const path of files.keys()) {
    if (!ALLOWED_FILES.has(path) && !path.startsWith('dist/')) problems.push(`ships ${path}`)
  }
  for (const [path, body] of files) {
    // A map must belong to a shipped file and embed every source it names: its sources point
    // at src/, which is not shipped, and an absolute path is the build machine's.
    if (path.endsWith('.map')) {
      if (!files.has(path.slice(0, -'.map'.length))) problems.push(`${path} maps a missing file`)
      const map = JSON.parse(body.toString('utf8'))
      map.sources.forEach((source, index) => {
        if (source.startsWith('/') || /^[a-z]:/i.test(source)) {
          problems.push(`${path} names an absolute source ${source}`)
        }
        if (typeof map.sourcesContent?.[index] !== 'string') {
          problems.push(`${path} lacks the content of ${source}`)
        }
      })
      if (typeof map.file === 'string' && map.file.startsWith('/')) {
        problems.push(`${path} names an absolute file ${map.file}`)
      }
    }
    // Every sourceMappingURL comment must point at a map in the tarball.
    if (/\.(c|m)?js$/.test(path)) {
      const url = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(body.toString('utf8'))?.[1]
      const dir = path.slice(0, path.lastIndexOf('/') + 1)
      if (url && !url.startsWith('data:') && !files.has(`${dir}${url}`)) {
        problems.push(`${path} points at a missing ${url}`)
      }
    }
  }
  const manifest = files.get('package.json')?.toString('utf8') ?? ''
  // pnpm must have applied publishConfig and replaced every workspace: range.
  if (manifest.includes('workspace:')) problems.push('package.json keeps a workspace: range')
  if (manifest.includes('docspasta-source')) problems.push('package.json keeps docspasta-source')
  for (const [, target] of manifest.matchAll(/"\.\/(dist\/[^"*]+)"/g)) {
    if (!files.has(target)) problems.push(`package.json names a missing ${target}`)
  }
  return problems
}

/** Total size in bytes of the files under a folder (symlinks not followed). */
function folderBytes(path) {
  let total = 0
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const child = join(path, entry.name)
    if (entry.isDirectory()) total += folderBytes(child)
    else if (entry.isFile()) total += statSync(child).size
  }
  return total
}

/** A fresh npm project: `npm init -y` in an empty folder, as a user starts one. */
async function freshProject(path) {
  mkdirSync(path, { recursive: true })
  await run('npm', ['init', '-y'], { cwd: path })
}

const npmInstall = (cwd, specs) =>
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...specs], { cwd })

/** Fails unless every @docspasta package installed came from our tarballs, not the registry. */
function assertFromTarballs(project) {
  const lock = JSON.parse(readFileSync(join(project, 'package-lock.json'), 'utf8'))
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path.includes('node_modules/@docspasta/') && !entry.resolved?.startsWith('file:')) {
      throw new Error(`${path} came from ${entry.resolved ?? 'the registry'}, not a tarball`)
    }
  }
}

// ---- The programs the projects run -------------------------------------------------------------

// One body for the ESM and the CommonJS program, which bind the entries to the same names.
// Besides a few named exports per entry, it checks that what the release removed stays removed,
// runs a crawl on MemoryProgressService and validates what a subscriber received, then streams a
// crawl over HTTP (core's server, its /node adapter) to the client with validation on.
const RUNTIME_BODY = `
const assert = (condition, message) => { if (!condition) throw new Error(message) }
const expectExports = (name, entry, expected) => {
  for (const [key, type] of Object.entries(expected)) {
    const actual = typeof entry[key]
    assert(actual === type, name + ': ' + key + ' is ' + actual + ', expected ' + type)
  }
}
const expectAbsent = (name, entry, keys) => {
  for (const key of keys) assert(!(key in entry), name + ' still exports ' + key)
}
const waitUntil = async (predicate, what) => {
  const deadline = Date.now() + 5000
  while (!predicate()) {
    assert(Date.now() < deadline, 'timed out waiting for ' + what)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

expectExports('protocol', protocol, {
  progressStreamPath: 'function', isTerminalEnvelope: 'function', isProgressError: 'function',
  ProgressError: 'function', ProgressValidationError: 'function', PROGRESS_LIMITS: 'object',
  DEFAULT_PROGRESS_BASE_PATH: 'string',
})
expectExports('core', core, {
  MemoryProgressService: 'function', createProgressStreamServer: 'function',
  createProgressReporter: 'function', progressEnvelopeSchema: 'object', ProgressError: 'function',
  CrawlNotFoundError: 'function', progressStreamPath: 'function', SSE_HEADERS: 'object',
})
expectAbsent('core', core, ['encodeEnvelope', 'encodeComment', 'encodeRetry'])
expectExports('core/node', coreNode, { createNodeProgressHandler: 'function' })
expectExports('core/lua', coreLua, { luaScripts: 'object', toPublishScriptArgs: 'function' })
expectExports('redis', redis, {
  RedisProgressService: 'function', createKeyBuilder: 'function', DEFAULT_REDIS_PREFIX: 'string',
})
expectExports('client', client, {
  subscribeProgress: 'function', reduceProgress: 'function', initialProgressState: 'object',
  ProgressClientError: 'function', MIN_SERVER_RETRY_MS: 'number',
})
expectAbsent('client', client, [
  'EnvelopeGate', 'backoffDelay', 'parseRetryAfter', 'DEFAULT_BACKOFF',
])
expectExports('client/protocol', clientProtocol, {
  progressStreamPath: 'function', isTerminalEnvelope: 'function', ProgressError: 'function',
})
expectExports('client/validate', clientValidate, { validateEnvelope: 'function' })
if (testing) {
  expectExports('testing', testing, {
    describeProgressServiceConformance: 'function', describeProgressStreamConformance: 'function',
    EnvelopeRecorder: 'function', SseTestClient: 'function', startProgressHttpServer: 'function',
  })
}
// One installed protocol package: the error class is the same object through every entry.
assert(core.ProgressError === protocol.ProgressError, 'core has its own ProgressError')
assert(clientProtocol.ProgressError === protocol.ProgressError, 'client has its own ProgressError')
assert(
  clientProtocol.progressStreamPath('crawl-1') === '/api/crawl-v2/crawl-1/stream',
  'progressStreamPath: ' + clientProtocol.progressStreamPath('crawl-1'),
)
assert(redis.createKeyBuilder('app')('crawl-1').state.startsWith('app:'), 'createKeyBuilder')

const service = new core.MemoryProgressService()
try {
  await service.start('crawl-1')
  const received = []
  await service.subscribe('crawl-1', (envelope) => received.push(envelope))
  await service.publish('crawl-1', { type: 'discovery', urls: ['https://docs.example/'] })
  await service.publish('crawl-1', { type: 'progress', delta: { processed: 1 } })
  assert((await service.complete('crawl-1', { pages: 1 })) === true, 'complete() lost')
  await waitUntil(() => received.some(protocol.isTerminalEnvelope), 'the terminal envelope')
  const validated = received.map((envelope) => clientValidate.validateEnvelope(envelope))
  const state = validated.reduce(client.reduceProgress, client.initialProgressState)
  assert(state.status === 'completed' && state.totals.processed === 1, 'state ' + state.status)

  // The same over HTTP: core's stream server behind its Node adapter, read by the client.
  const handler = coreNode.createNodeProgressHandler(core.createProgressStreamServer({ service }))
  const server = http.createServer((request, response) => void handler(request, response))
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  try {
    await service.start('crawl-2')
    const events = []
    const subscription = client.subscribeProgress(clientProtocol.progressStreamPath('crawl-2'), {
      baseUrl: 'http://127.0.0.1:' + server.address().port,
      validate: clientValidate.validateEnvelope,
      onEvent: (envelope) => events.push(envelope),
    })
    await waitUntil(() => events.length > 0, 'the client to connect')
    await service.publish('crawl-2', { type: 'progress', delta: { processed: 2 } })
    await service.complete('crawl-2')
    const terminal = await subscription.done
    assert(terminal.type === 'complete' && terminal.totals.processed === 2, 'terminal over HTTP')
    subscription.close()
  } finally {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
} finally {
  await service.close()
}
console.log('ok')
`

const ESM_PROGRAM = `import * as http from 'node:http'
import * as protocol from '@docspasta/progress-protocol'
import * as core from '@docspasta/progress-core'
import * as coreNode from '@docspasta/progress-core/node'
import * as coreLua from '@docspasta/progress-core/lua'
import * as redis from '@docspasta/progress-redis'
import * as client from '@docspasta/progress-client'
import * as clientProtocol from '@docspasta/progress-client/protocol'
import * as clientValidate from '@docspasta/progress-client/validate'
import * as testing from '@docspasta/progress-testing'
${RUNTIME_BODY}`

// The testing package is ESM only (it imports vitest, which cannot be required): no `require`
// condition, so CommonJS programs leave it out.
const CJS_PROGRAM = `const http = require('node:http')
const protocol = require('@docspasta/progress-protocol')
const core = require('@docspasta/progress-core')
const coreNode = require('@docspasta/progress-core/node')
const coreLua = require('@docspasta/progress-core/lua')
const redis = require('@docspasta/progress-redis')
const client = require('@docspasta/progress-client')
const clientProtocol = require('@docspasta/progress-client/protocol')
const clientValidate = require('@docspasta/progress-client/validate')
const testing = undefined
;(async () => {
${RUNTIME_BODY}
})().catch((error) => { console.error(error); process.exit(1) })
`

// An app whose own code requires core while a dependency imports it loads both builds: an error
// thrown by one copy must still be an instance of the other copy's classes.
const MIXED_PROGRAM = `const assert = require('node:assert/strict')
const cjs = require('@docspasta/progress-core')
;(async () => {
  const esm = await import('@docspasta/progress-core')
  assert.notEqual(cjs.CrawlClosedError, esm.CrawlClosedError, 'two builds, two classes')
  const service = new cjs.MemoryProgressService()
  await service.start('crawl-1')
  await service.complete('crawl-1', {})
  const error = await service.publish('crawl-1', { type: 'progress', delta: {} }).catch((e) => e)
  assert.ok(error instanceof esm.CrawlClosedError, 'a CJS CrawlClosedError is the ESM class')
  assert.ok(error instanceof esm.ProgressError, 'and an ESM ProgressError')
  assert.ok(!(error instanceof esm.CrawlNotFoundError), 'and no other class')
  const invalid = (() => { try { esm.parseCrawlId('a/b') } catch (e) { return e } })()
  assert.ok(invalid instanceof cjs.ProgressValidationError, 'and the other way round')
  await service.close()
})().catch((error) => { console.error(error); process.exit(1) })
`

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
const TYPE_CONFIGS = [
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
async function typecheck(app, tsc, config) {
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

// ---- The run ------------------------------------------------------------------------------------

const missing = PACKAGES.filter(({ dir }) => !existsSync(join(ROOT, 'packages', dir, 'dist')))
if (missing.length > 0) {
  const folders = missing.map(({ dir }) => `packages/${dir}`).join(', ')
  console.error(`check:install: no dist/ in ${folders}: run \`pnpm build\` first`)
  process.exit(1)
}

const temp = mkdtempSync(join(tmpdir(), 'docspasta-install-'))
try {
  const tarballsDir = join(temp, 'tarballs')
  mkdirSync(tarballsDir)
  const tarballs = new Map()

  // Pack all five at once; each pack gets its own folder, so each reads back its own tarball.
  await check('pack the five packages', async () => {
    await Promise.all(
      PACKAGES.map(async ({ dir, name }) => {
        const destination = join(tarballsDir, dir)
        mkdirSync(destination)
        await run('pnpm', ['pack', '--pack-destination', destination], {
          cwd: join(ROOT, 'packages', dir),
        })
        const [file] = readdirSync(destination)
        if (file === undefined) throw new Error(`pnpm pack wrote nothing for ${name}`)
        tarballs.set(name, join(destination, file))
      }),
    )
  })
  if (tarballs.size !== PACKAGES.length) throw new Error('cannot go on without the tarballs')

  for (const { name } of PACKAGES) {
    const path = tarballs.get(name)
    const files = tarballFiles(path)
    const bytes = statSync(path).size
    await check(`tarball ${name}: ${bytes} bytes, ${files.size} files`, async () => {
      const problems = tarballProblems(files)
      if (problems.length > 0) throw new Error(`\n  ${problems.join('\n  ')}`)
    })
  }

  const app = join(temp, 'app')
  const clientOnly = join(temp, 'client-only')
  const tarballOf = (name) => tarballs.get(name)

  // The two installs are independent: run them side by side.
  const [appInstalled, clientInstalled] = await Promise.all([
    check(
      'install all five tarballs with npm (+ ioredis, vitest, typescript, @types/node, zod 4.1.0)',
      async () => {
        await freshProject(app)
        await npmInstall(app, [
          ...PACKAGES.map(({ name }) => tarballOf(name)),
          ...USER_DEPENDENCIES,
        ])
        assertFromTarballs(app)
      },
    ),
    check('install only the client (and protocol) tarballs with npm', async () => {
      await freshProject(clientOnly)
      await npmInstall(clientOnly, [
        tarballOf('@docspasta/progress-protocol'),
        tarballOf('@docspasta/progress-client'),
      ])
      assertFromTarballs(clientOnly)
    }),
  ])

  const checks = []
  if (appInstalled) {
    writeFileSync(join(app, 'esm.mjs'), ESM_PROGRAM)
    writeFileSync(join(app, 'cjs.cjs'), CJS_PROGRAM)
    writeFileSync(join(app, 'mixed.cjs'), MIXED_PROGRAM)
    const tsc = join(app, 'node_modules', 'typescript', 'bin', 'tsc')
    checks.push(
      check('ESM: import every entry, memory crawl, HTTP stream to the client', () =>
        run('node', ['esm.mjs'], PROGRAM_RUN(app)).then(() => ''),
      ),
      check('CJS: require every entry but testing, memory crawl, HTTP stream', () =>
        run('node', ['cjs.cjs'], PROGRAM_RUN(app)).then(() => ''),
      ),
      check('ESM and CJS builds in one process: instanceof holds across them', () =>
        run('node', ['mixed.cjs'], PROGRAM_RUN(app)).then(() => ''),
      ),
      ...TYPE_CONFIGS.map((config) =>
        check(`types: ${config.name}, strict, skipLibCheck false`, () =>
          typecheck(app, tsc, config),
        ),
      ),
    )
  }
  if (clientInstalled) {
    checks.push(
      check('client-only install: no zod, no core, the client runs', async () => {
        const modules = join(clientOnly, 'node_modules')
        const unwanted = ['zod', '@docspasta/progress-core'].filter((name) =>
          existsSync(join(modules, name)),
        )
        if (unwanted.length > 0) throw new Error(`node_modules holds ${unwanted.join(', ')}`)
        // The default and /protocol entries work without core; /validate names core, the
        // optional peer, and must fail to load without it.
        const program = `
          const client = await import('@docspasta/progress-client')
          const { progressStreamPath } = await import('@docspasta/progress-client/protocol')
          if (typeof client.subscribeProgress !== 'function') throw new Error('subscribeProgress')
          const path = progressStreamPath('crawl-1')
          if (path !== '/api/crawl-v2/crawl-1/stream') throw new Error(path)
          const validate = await import('@docspasta/progress-client/validate')
            .then(() => 'loads', (error) => error.code)
          console.log(validate)`
        const validate = (
          await run('node', ['--input-type=module', '-e', program], PROGRAM_RUN(clientOnly))
        ).trim()
        if (validate !== 'ERR_MODULE_NOT_FOUND')
          throw new Error(`/validate without core: ${validate}`)
        return `node_modules ${folderBytes(modules)} bytes; /validate without core: ${validate}`
      }),
    )
  }
  await Promise.all(checks)
} catch (error) {
  failures.push(error instanceof Error ? error.message : String(error))
} finally {
  rmSync(temp, { recursive: true, force: true })
}

console.log(`\ncheck:install (${seconds(started)})\n${summary.join('\n')}`)
if (failures.length > 0) {
  console.error(`\n${failures.length} check(s) failed:\n\n${failures.join('\n\n')}`)
  process.exit(1)
}
