// The programs a fresh project runs on the installed tarballs: as ESM, as CommonJS, and both.

// One body for the ESM and the CommonJS program, which bind the entries to the same names.
// Besides a few named exports per entry, it checks that what the release removed stays removed,
// renders the React hook on the server with React 18, runs a crawl on MemoryProgressService and
// validates what a subscriber received, then streams a crawl over HTTP (core's server, its /node
// adapter) to the client with validation on.
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
expectExports('client/react', clientReact, { useProgress: 'function' })
// The hook's build imports the default entry: one client, one ProgressClientError class.
const hookBuild = readFileSync(entryFile('@docspasta/progress-client/react'), 'utf8')
assert(
  hookBuild.includes('"@docspasta/progress-client"') &&
    !hookBuild.includes('class ProgressClientError'),
  'the react entry bundles a copy of the client',
)
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

// The hook on React 18, the lowest major its peer range allows, rendered on the server: the
// initial state, status 'connecting' ('idle' without a url), and no request (effects do not run
// there; a subscription's first request would come in a microtask, before the timer below).
assert(react.version.startsWith('18.'), 'React ' + react.version + ', expected 18')
let hookRequests = 0
const HookProbe = (props) => {
  const { state, status, error, retryAt } = clientReact.useProgress(props.url, {
    fetch: () => {
      hookRequests += 1
      return new Promise(() => undefined)
    },
  })
  const shown = [status, state.status, state.totals.processed, error, retryAt]
  return react.createElement('p', null, shown.map(String).join('/'))
}
const renderProbe = (url) =>
  reactDomServer.renderToStaticMarkup(react.createElement(HookProbe, { url }))
const rendered = [renderProbe('http://127.0.0.1:9/never'), renderProbe(null)]
await new Promise((resolve) => setTimeout(resolve, 0))
assert(rendered[0] === '<p>connecting/idle/0/null/null</p>', 'on the server: ' + rendered[0])
assert(rendered[1] === '<p>idle/idle/0/null/null</p>', 'null on the server: ' + rendered[1])
assert(hookRequests === 0, 'useProgress made ' + hookRequests + ' request(s) on the server')

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

export const ESM_PROGRAM = `import { readFileSync } from 'node:fs'
import * as http from 'node:http'
import { fileURLToPath } from 'node:url'
import * as protocol from '@docspasta/progress-protocol'
import * as core from '@docspasta/progress-core'
import * as coreNode from '@docspasta/progress-core/node'
import * as coreLua from '@docspasta/progress-core/lua'
import * as redis from '@docspasta/progress-redis'
import * as client from '@docspasta/progress-client'
import * as clientProtocol from '@docspasta/progress-client/protocol'
import * as clientValidate from '@docspasta/progress-client/validate'
import * as clientReact from '@docspasta/progress-client/react'
import * as testing from '@docspasta/progress-testing'
import react from 'react'
import reactDomServer from 'react-dom/server'
const entryFile = (specifier) => fileURLToPath(import.meta.resolve(specifier))
${RUNTIME_BODY}`

// The testing package is ESM only (it imports vitest, which cannot be required): no `require`
// condition, so CommonJS programs leave it out.
export const CJS_PROGRAM = `const { readFileSync } = require('node:fs')
const http = require('node:http')
const protocol = require('@docspasta/progress-protocol')
const core = require('@docspasta/progress-core')
const coreNode = require('@docspasta/progress-core/node')
const coreLua = require('@docspasta/progress-core/lua')
const redis = require('@docspasta/progress-redis')
const client = require('@docspasta/progress-client')
const clientProtocol = require('@docspasta/progress-client/protocol')
const clientValidate = require('@docspasta/progress-client/validate')
const clientReact = require('@docspasta/progress-client/react')
const testing = undefined
const react = require('react')
const reactDomServer = require('react-dom/server')
const entryFile = (specifier) => require.resolve(specifier)
;(async () => {
${RUNTIME_BODY}
})().catch((error) => { console.error(error); process.exit(1) })
`

// An app whose own code requires core while a dependency imports it loads both builds: an error
// thrown by one copy must still be an instance of the other copy's classes.
export const MIXED_PROGRAM = `const assert = require('node:assert/strict')
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
