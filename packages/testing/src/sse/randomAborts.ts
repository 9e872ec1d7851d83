import type { ProgressService } from '@docspasta/progress-core'
import { runInLanes } from './runInLanes.js'

/** A small seeded generator: the same "random" aborts on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0
    return state / 2 ** 32
  }
}

/**
 * `count` GETs of `url`, at most `concurrency` at once, each aborted at a random moment: before
 * the answer, after the headers, or after some bytes. Returns the statuses that arrived.
 */
export async function abortRandomly(
  url: string,
  options: { count: number; concurrency: number; seed: number },
): Promise<number[]> {
  const random = seededRandom(options.seed)
  const statuses: number[] = []
  const one = async () => {
    const abort = new AbortController()
    // A fifth abort at once (before any answer, however fast the server) and a fifth only after
    // the answer (however slow a loaded server is); the rest at a random moment up to 150 ms.
    const when = random()
    const delay = Math.floor(random() * 150)
    const readFirst = random() < 0.5
    const abortLater = () => setTimeout(() => abort.abort(), delay)
    let timer = when < 0.4 ? undefined : abortLater()
    try {
      const answer = fetch(url, { signal: abort.signal })
      if (when < 0.2) abort.abort()
      const response = await answer
      timer ??= abortLater()
      statuses.push(response.status)
      if (readFirst) await response.body?.getReader().read()
      await new Promise((resolve) => {
        if (abort.signal.aborted) resolve(undefined)
        abort.signal.addEventListener('abort', resolve, { once: true })
      })
    } catch (error) {
      if (!abort.signal.aborted) throw error
    } finally {
      clearTimeout(timer)
      abort.abort()
    }
  }
  await runInLanes(options.count, options.concurrency, one)
  return statuses
}

/**
 * abortRandomly() while `crawlId` gets an increment every 2 ms, so that aborts land before the
 * answer, during the replay and between live writes. Returns the statuses that arrived.
 */
export async function abortRandomlyWhilePublishing(
  service: ProgressService,
  crawlId: string,
  url: string,
  options: { count: number; concurrency: number; seed: number },
): Promise<number[]> {
  let publishing = true
  const publisher = (async () => {
    while (publishing) {
      await service.increment(crawlId, { discovered: 1 })
      await new Promise((resolve) => setTimeout(resolve, 2))
    }
  })()
  try {
    return await abortRandomly(url, options)
  } finally {
    publishing = false
    await publisher
  }
}
