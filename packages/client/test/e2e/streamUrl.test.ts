import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createProgressStreamServer, MemoryProgressService } from '@docspasta/progress-core'
import { createNodeProgressHandler } from '@docspasta/progress-core/node'
import { afterEach, describe, expect, it } from 'vitest'
import { type ProgressEnvelope, subscribeProgress } from '../../src/index.js'
// What a browser bundles to build the URL: the client's own entry, not the server package.
import { progressStreamPath } from '../../src/protocol.js'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/**
 * A plain node:http server with no router: the stream server reads the crawl id from the request
 * path itself (`<basePath>/<crawlId>/stream`), so only the two helpers decide whether the client's
 * URL reaches it.
 */
async function serve(basePath: string | undefined) {
  const service = new MemoryProgressService()
  const streams = createProgressStreamServer(
    basePath === undefined ? { service } : { service, basePath },
  )
  const handle = createNodeProgressHandler(streams)
  const http = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.destroy(error instanceof Error ? error : new Error(String(error)))
    })
  })
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  cleanups.push(async () => {
    streams.close()
    http.closeAllConnections()
    await new Promise<void>((resolve) => http.close(() => resolve()))
    await service.close()
  })
  const { port } = http.address() as AddressInfo
  return { service, origin: `http://127.0.0.1:${port}` }
}

describe('the stream URL, built by the client and read by the server (Node, real HTTP)', () => {
  it.each([
    { where: 'the default base path', basePath: undefined, crawlId: 'crawl-42' },
    { where: 'the default base path', basePath: undefined, crawlId: 'site:docs.example_1' },
    { where: 'base path /progress/', basePath: '/progress/', crawlId: 'site:docs.example_1' },
    { where: 'base path /v2/jobs', basePath: '/v2/jobs', crawlId: 'job.7-b' },
  ])(
    'serves $crawlId under $where at the path the client built (url mismatch)',
    async ({ basePath, crawlId }) => {
      const { service, origin } = await serve(basePath)
      await service.start(crawlId)
      await service.increment(crawlId, { processed: 3 })
      await service.complete(crawlId, { pages: 3 })

      const path =
        basePath === undefined ? progressStreamPath(crawlId) : progressStreamPath(crawlId, basePath)
      const received: ProgressEnvelope[] = []
      const errors: unknown[] = []
      const subscription = subscribeProgress(`${origin}${path}`, {
        onEvent: (envelope) => received.push(envelope),
        onError: (error) => errors.push(error),
      })
      const terminal = await subscription.done
      expect(errors).toEqual([])
      expect(terminal).toMatchObject({ type: 'complete', crawlId, stats: { pages: 3 } })
      expect(received.map((envelope) => [envelope.type, envelope.crawlId])).toEqual([
        ['snapshot', crawlId],
        ['complete', crawlId],
      ])
    },
  )
})
