import { randomUUID } from 'node:crypto'
import type { ProgressEnvelope } from '@docspasta/progress-core'
import { afterAll, afterEach, expect, inject, it } from 'vitest'
import { deleteKeysUnder } from './support/deleteKeys.js'
import { type DemoServer, startDemo } from './support/startDemo.js'

const servers: DemoServer[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) await server.process.stop('SIGKILL')
})

const prefix = `test:express-shutdown:${randomUUID()}`
afterAll(() => deleteKeysUnder(inject('redisUrl'), prefix))

async function start(env: Record<string, string>) {
  const server = await startDemo(env)
  servers.push(server)
  return server
}

async function startCrawl(server: DemoServer, pages: number) {
  const response = await fetch(`${server.origin}/api/crawls`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ pages }),
  })
  return (await response.json()) as { crawlId: string; streamUrl: string }
}

/**
 * Reads a stream with fetch to its end. A chunked response cut before its last chunk rejects
 * (undici: "terminated"), which is what a clean shutdown must never do.
 */
function readStream(url: string) {
  const envelopes: ProgressEnvelope[] = []
  let notify = () => {}
  const ended = (async () => {
    const response = await fetch(url)
    const reader = (response.body as ReadableStream<Uint8Array>)
      .pipeThrough(new TextDecoderStream() as ReadableWritablePair<string, Uint8Array>)
      .getReader()
    let buffer = ''
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return
      buffer += value
      const lines = buffer.split('\n')
      buffer = lines.pop() ?? ''
      for (const line of lines) {
        if (line.startsWith('data: ')) envelopes.push(JSON.parse(line.slice(6)) as ProgressEnvelope)
      }
      notify()
    }
  })()
  const waitFor = (predicate: () => boolean) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${envelopes.length} envelopes`)), 30_000)
      notify = () => {
        if (!predicate()) return
        clearTimeout(timer)
        resolve()
      }
      notify()
    })
  return { envelopes, ended, waitFor }
}

it('SIGTERM in memory: every open stream gets its terminal and a whole response, and the process exits 0', async () => {
  const server = await start({ PAGE_PAUSE_MS: '200' })
  const { streamUrl } = await startCrawl(server, 50)
  const stream = readStream(`${server.origin}${streamUrl}`)
  await stream.waitFor(() => stream.envelopes.some((e) => e.type === 'progress'))

  expect(await server.process.stop('SIGTERM')).toBe(0)
  await stream.ended
  expect(stream.envelopes.at(-1)).toMatchObject({
    type: 'error',
    error: { code: 'server-shutdown', retryable: true },
  })
  expect(server.process.output()).toContain('SIGTERM: shutting down')
  expect(server.process.output()).toContain('stopped')
}, 90_000)

it('SIGTERM on Redis: the stream ends whole, and another server takes the crawl over to an exact end', async () => {
  const env = { REDIS_URL: inject('redisUrl'), DEMO_PREFIX: prefix, PAGE_PAUSE_MS: '100' }
  const [one, two] = await Promise.all([start(env), start(env)])
  const { crawlId, streamUrl } = await startCrawl(one, 40)
  // Either server may have claimed the crawl: the one that runs it is the one to stop.
  const runs = async (server: DemoServer) => {
    const { running } = (await (await fetch(`${server.origin}/api/workers`)).json()) as {
      running: string[]
    }
    return running.includes(crawlId)
  }
  await expect.poll(async () => (await runs(one)) || (await runs(two))).toBe(true)
  const [leaving, staying] = (await runs(one)) ? [one, two] : [two, one]
  const cut = readStream(`${leaving.origin}${streamUrl}`)
  const followed = readStream(`${staying.origin}${streamUrl}`)
  await cut.waitFor(() => cut.envelopes.some((e) => e.type === 'progress'))
  await followed.waitFor(() => followed.envelopes.some((e) => e.type === 'progress'))

  expect(await leaving.process.stop('SIGTERM')).toBe(0)
  await cut.ended
  expect(cut.envelopes.filter((e) => e.type === 'complete' || e.type === 'error')).toEqual([])

  await followed.ended
  expect(followed.envelopes).toContainEqual(
    expect.objectContaining({ type: 'snapshot', resync: true }),
  )
  expect(followed.envelopes.at(-1)).toMatchObject({
    type: 'complete',
    totals: { discovered: 40, processed: 40 - 4, failed: 4 },
  })
}, 90_000)
