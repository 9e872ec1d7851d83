import type { IncomingMessage } from 'node:http'
import { MemoryProgressService, progressStreamPath } from '@docspasta/progress-core'
import { type ProgressHttpHarness, startProgressHttpServer } from '@docspasta/progress-testing'
import { afterEach, describe, expect, it } from 'vitest'
import {
  type ProgressClientError,
  type ProgressEnvelope,
  subscribeProgress,
} from '../../src/index.js'

const open: {
  service: MemoryProgressService
  harness: ProgressHttpHarness
  subscription?: { close(): void }
}[] = []
afterEach(async () => {
  for (const { service, harness, subscription } of open.splice(0)) {
    subscription?.close()
    await harness.close()
    await service.close()
  }
})

/** Resolves once `predicate` holds, checked whenever `notify` is called: no polling, no sleep. */
function waiters() {
  const pending = new Set<() => void>()
  return {
    notify: () => {
      for (const check of [...pending]) check()
    },
    until: (predicate: () => boolean) =>
      new Promise<void>((resolve) => {
        const check = () => {
          if (!predicate()) return
          pending.delete(check)
          resolve()
        }
        pending.add(check)
        check()
      }),
  }
}

describe('the client when its stream drops (Node, real HTTP)', () => {
  it('asks the same stream again with Last-Event-ID after every drop, and nothing else (polling fallback)', async () => {
    const service = new MemoryProgressService()
    const harness = await startProgressHttpServer(service)
    const resources: (typeof open)[number] = { service, harness }
    open.push(resources)
    const crawlId = 'dropped'
    await service.start(crawlId)

    // Every request that reaches the server, whatever its path.
    const requests: { method?: string; url?: string; lastEventId?: string | string[] }[] = []
    const changed = waiters()
    harness.http.prependListener('request', (req: IncomingMessage) => {
      requests.push({
        method: req.method,
        url: req.url,
        lastEventId: req.headers['last-event-id'],
      })
      changed.notify()
    })

    // A reconnect waits until the events published while the client is away are stored, so they
    // can only reach it as replay after its Last-Event-ID.
    let away: Promise<void> = Promise.resolve()
    const fetchAfterAway: typeof fetch = async (input, init) => {
      await away
      return fetch(input, init)
    }

    const received: ProgressEnvelope[] = []
    const errors: ProgressClientError[] = []
    const subscription = subscribeProgress(harness.url(crawlId), {
      // No jitter: a dropped stream is asked for again at once.
      random: () => 0,
      fetch: fetchAfterAway,
      onEvent: (envelope) => {
        received.push(envelope)
        changed.notify()
      },
      onError: (error) => errors.push(error),
    })
    resources.subscription = subscription
    const lastSeq = () => received.at(-1)?.seq ?? -1
    await changed.until(() => received.length > 0)

    const idsBeforeDrops: string[] = []
    let published = 0
    for (let drop = 1; drop <= 3; drop++) {
      for (let i = 0; i < 10; i++) await service.increment(crawlId, { processed: 1 })
      published += 10
      await changed.until(() => lastSeq() === published)
      idsBeforeDrops.push(subscription.lastEventId as string)
      let back = () => {}
      away = new Promise((resolve) => {
        back = resolve
      })
      // Every open stream ends without its terminal, as a deploy or a proxy timeout ends it.
      harness.streams.close()
      // Events published while the client is away are replayed when it comes back.
      for (let i = 0; i < 5; i++) await service.increment(crawlId, { processed: 1 })
      published += 5
      back()
      await changed.until(() => requests.length === drop + 1)
    }
    await service.complete(crawlId, { published })
    const terminal = await subscription.done

    expect(terminal).toMatchObject({ type: 'complete', seq: published + 1 })
    // One snapshot at the start, then every seq exactly once, in order, across the drops.
    expect(received[0]).toMatchObject({ type: 'snapshot', seq: 0 })
    expect(received.slice(1).map((envelope) => envelope.seq)).toEqual(
      Array.from({ length: published + 1 }, (_, i) => i + 1),
    )
    // Four requests in all, each a GET of the one stream URL; every reconnect resumes from the
    // last envelope delivered before its drop.
    expect(requests.map(({ method, url }) => `${method} ${url}`)).toEqual(
      Array.from({ length: 4 }, () => `GET ${progressStreamPath(crawlId)}`),
    )
    expect(requests.map((request) => request.lastEventId)).toEqual([undefined, ...idsBeforeDrops])
    expect(errors.map((error) => [error.code, error.fatal])).toEqual(
      Array.from({ length: 3 }, () => ['connection', false]),
    )
  })
})
