import {
  createProgressStreamServer,
  type ProgressService,
  ServiceClosedError,
} from '@docspasta/progress-core'
import { expect, it } from 'vitest'

// A service stand-in whose subscription ends while the stream is opening: the status must say
// "retry elsewhere" (503), never 204, which a client takes as "nothing more, ever".
it('answers 503 when the service closes while a stream is opening', async () => {
  const service = {
    subscribe: async (
      _id: string,
      _handler: unknown,
      options: { onError?: (e: Error) => void },
    ) => {
      options.onError?.(new ServiceClosedError())
      return { closed: true, unsubscribe: async () => {} }
    },
  } as unknown as ProgressService
  const errors: unknown[] = []
  const streams = createProgressStreamServer({ service, onError: (e) => errors.push(e) })
  const response = await streams.handle(new Request('http://x/api/crawl-v2/c1/stream'))
  expect(response.status).toBe(503)
  expect(response.headers.get('retry-after')).toBe('5')
  expect(errors[0]).toBeInstanceOf(ServiceClosedError)
  expect(streams.diagnostics()).toEqual({
    connections: 0,
    timers: 0,
    queuedBytes: 0,
    released: { unread: 0, overflow: 0 },
  })
})
