import { createServer } from 'node:http'
import { type AddressInfo, connect, type Socket } from 'node:net'
import {
  createProgressStreamServer,
  MemoryProgressService,
  progressStreamPath,
} from '@docspasta/progress-core'
import { createNodeProgressHandler } from '@docspasta/progress-core/node'
import {
  asForeignStreamServer,
  expectStreamsSettled,
  startProgressHttpServer,
} from '@docspasta/progress-testing'
import { afterEach, expect, it, vi } from 'vitest'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

// A client that keeps its socket open but stops reading: the socket's buffers fill, the adapter
// waits for a 'drain' that never comes, and the stream is not read any more.
it('destroys the socket of a client that stopped reading once it went unread for unreadTimeoutMs', async () => {
  const service = new MemoryProgressService()
  cleanups.push(() => service.close())
  const harness = await startProgressHttpServer(service, {
    heartbeatMs: 50,
    unreadTimeoutMs: 300,
    // Far above what is published: only the unread rule can end this connection.
    queueHardLimitBytes: 512 * 1024 * 1024,
  })
  cleanups.push(() => harness.close())
  await service.start('stalled')

  // The server's end of the connection: the client's cannot tell, as it reads nothing.
  const serverSocketClosed = new Promise<void>((resolve) => {
    harness.http.once('connection', (serverSocket: Socket) => {
      serverSocket.once('close', () => resolve())
    })
  })
  const { port } = new URL(harness.url('stalled'))
  const socket = connect(Number(port), '127.0.0.1')
  socket.on('error', () => {})
  cleanups.push(async () => {
    socket.destroy()
  })
  const firstBytes = new Promise<void>((resolve) => socket.once('data', () => resolve()))
  socket.write(`GET ${progressStreamPath('stalled')} HTTP/1.1\r\nHost: localhost\r\n\r\n`)
  await firstBytes
  socket.pause()

  // About 40 MB, more than loopback's socket buffers hold on both ends.
  const url = (i: number, u: number) => `https://docs.example/${i}/${u}/${'x'.repeat(1_900)}`
  for (let i = 0; i < 640; i++) {
    const urls = Array.from({ length: 30 }, (_, u) => url(i, u))
    await service.publish('stalled', { type: 'discovery', urls })
  }
  await vi.waitFor(() => expect(harness.streams.diagnostics().released.unread).toBe(1), {
    timeout: 10_000,
    interval: 20,
  })
  await serverSocketClosed
  await expectStreamsSettled(harness.streams, service)
})

// A middleware (a request timeout, say) ends the response under the adapter: nothing may be
// written after that end (an 'error' event nobody listens to), and the connection lets go.
// Both ways the adapter writes: to the socket (this package's server) and by piping the Response
// of any other ProgressStreamServer (here a wrapper of handle()).
for (const path of ['socket', 'Response'] as const) {
  it(`lets go of a connection whose response something else ended, without writing after the end (${path})`, async () => {
    const service = new MemoryProgressService()
    cleanups.push(() => service.close())
    // Every envelope at once, none held for a flush deadline.
    const streams = createProgressStreamServer({ service, maxLatencyMs: 1 })
    const handle = createNodeProgressHandler(
      path === 'socket' ? streams : asForeignStreamServer(streams),
    )
    const ended = new Promise<void>((resolve) => {
      const http = createServer((req, res) => {
        void handle(req, res)
        setTimeout(() => {
          res.end()
          // Before 'close' tells the adapter: these reach the connection while it still writes.
          const increments = Array.from({ length: 5 }, () =>
            service.increment('ended', { processed: 1 }),
          )
          void Promise.all(increments).then(() => resolve())
        }, 50)
      })
      cleanups.push(async () => {
        streams.close()
        http.closeAllConnections()
        await new Promise<void>((done) => http.close(() => done()))
      })
      http.listen(0, '127.0.0.1', () => {
        const { port } = http.address() as AddressInfo
        // Read to the end: the client is there when the middleware ends the response.
        void fetch(`http://127.0.0.1:${port}${progressStreamPath('ended')}`).then((response) =>
          response.text(),
        )
      })
    })
    await service.start('ended')
    await ended
    await expectStreamsSettled(streams, service)
  })
}
