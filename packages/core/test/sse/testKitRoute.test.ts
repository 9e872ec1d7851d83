import { MemoryProgressService, progressStreamPath } from '@docspasta/progress-core'
import {
  expectStreamsSettled,
  type ProgressHttpHarness,
  type ProgressHttpTransport,
  SseTestClient,
  startProgressHttpServer,
} from '@docspasta/progress-testing'
import { afterEach, describe, expect, it } from 'vitest'

// The test kit's HTTP server is the production stream server (createProgressStreamServer behind
// the Node adapter), and its URLs come from progressStreamPath: a test cannot aim at an endpoint
// that production does not serve and still pass.
const open: { service: MemoryProgressService; harness: ProgressHttpHarness }[] = []
afterEach(async () => {
  for (const { service, harness } of open.splice(0)) {
    await harness.close()
    await service.close()
  }
})

async function serve(transport: ProgressHttpTransport, basePath?: string) {
  const service = new MemoryProgressService()
  const harness = await startProgressHttpServer(
    service,
    basePath === undefined ? {} : { basePath },
    transport,
  )
  open.push({ service, harness })
  return { service, harness, origin: new URL(harness.url('x')).origin }
}

async function fetchJson(url: string) {
  const response = await fetch(url)
  return { status: response.status, body: (await response.json()) as unknown }
}

describe.each(['node', 'web'] as const)('the test kit over HTTP (%s)', (transport) => {
  it('requests the route production serves, and a stale endpoint is refused, never streamed (stale test endpoints)', async () => {
    const { service, harness, origin } = await serve(transport)
    const crawlId = 'crawl-7'
    await service.start(crawlId)
    expect(harness.url(crawlId)).toBe(`${origin}${progressStreamPath(crawlId)}`)

    const client = new SseTestClient(harness.url(crawlId))
    await client.waitFor(() => client.envelopes.length > 0)
    expect(client.status).toBe(200)
    expect(client.envelopes[0]).toMatchObject({ type: 'snapshot', crawlId })
    expect(harness.streams.diagnostics().connections).toBe(1)
    client.close()

    // Endpoints of an older layout, or a neighbour of the stream route: a 400 that names the
    // route, not a stream a test could mistake for the real one.
    for (const stale of [
      `/api/crawl/${crawlId}/stream`,
      `/api/crawl-v2/${crawlId}`,
      `/api/crawl-v2/${crawlId}/events`,
    ]) {
      const answer = await fetchJson(`${origin}${stale}`)
      expect(answer.status).toBe(400)
      expect(answer.body).toMatchObject({
        error: {
          code: 'invalid-input',
          message: 'the stream path is /api/crawl-v2/<crawlId>/stream',
        },
      })
    }

    // Moving the route moves the kit's URLs with it; the old default is stale from then on.
    const moved = await serve(transport, '/progress')
    await moved.service.start(crawlId)
    expect(moved.harness.url(crawlId)).toBe(`${moved.origin}/progress/${crawlId}/stream`)
    const streamed = new SseTestClient(moved.harness.url(crawlId))
    await streamed.waitFor(() => streamed.envelopes.length > 0)
    expect(streamed.status).toBe(200)
    streamed.close()
    expect((await fetchJson(`${moved.origin}${progressStreamPath(crawlId)}`)).status).toBe(400)

    await expectStreamsSettled(harness.streams, service)
    await expectStreamsSettled(moved.harness.streams, moved.service)
  })
})
