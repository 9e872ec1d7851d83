import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { type CrawlJobTable, MemoryCrawlJobTable } from '../src/crawlJobTable.js'
import { RedisCrawlJobTable } from '../src/redisCrawlJobTable.js'
import { deleteKeysUnder } from './support/deleteKeys.js'

let redis: Redis
const prefix = `test:express-jobs:${randomUUID()}`

beforeAll(() => {
  redis = new Redis(inject('redisUrl'))
})
afterAll(async () => {
  await redis.quit()
  await deleteKeysUnder(inject('redisUrl'), prefix)
})

// The same contract on both tables: what lets a server take over a dead worker's crawl.
describe.each([
  ['memory', () => new MemoryCrawlJobTable()],
  ['Redis', () => new RedisCrawlJobTable(redis, `${prefix}:${randomUUID()}`)],
] as [string, () => CrawlJobTable][])('%s job table', (_name, createTable) => {
  it('hands a job to one claimer at a time, many racing, and counts its attempts', async () => {
    const table = createTable()
    await table.add({ crawlId: 'c1', pages: 5 })
    const claims = await Promise.all(
      Array.from({ length: 20 }, (_, i) => table.claim(`owner-${i}`, 60_000, 3)),
    )
    const won = claims.filter((claim) => claim !== undefined)
    expect(won).toEqual([{ spec: { crawlId: 'c1', pages: 5 }, attempt: 1, attempts: 3 }])
  })

  it('answers a claim sent twice (its reply lost, the command re-sent) with one run, counted once', async () => {
    const table = createTable()
    await table.add({ crawlId: 'c1', pages: 5 })
    const first = await table.claim('server-a:1', 60_000, 2)
    const resent = await table.claim('server-a:1', 60_000, 2)
    expect(first).toEqual({ spec: { crawlId: 'c1', pages: 5 }, attempt: 1, attempts: 2 })
    expect(resent).toEqual(first)
    // Had the re-sent claim counted a run, this would be the last attempt's (or none at all).
    await table.release('c1', 'server-a:1')
    expect(await table.claim('server-a:2', 60_000, 2)).toMatchObject({ attempt: 2, attempts: 2 })
  })

  it('lets another owner claim the job once its lease lapses, as the next attempt', async () => {
    const table = createTable()
    await table.add({ crawlId: 'c1', pages: 5, failAtPage: 2 })
    expect(await table.claim('dead', 50, 3)).toMatchObject({ attempt: 1 })
    expect(await table.claim('other', 60_000, 3)).toBeUndefined()
    await expect
      .poll(() => table.claim('other', 60_000, 3), { interval: 20 })
      .toEqual({
        spec: { crawlId: 'c1', pages: 5, failAtPage: 2 },
        attempt: 2,
        attempts: 3,
      })
    // The dead owner lost it: it can neither renew nor release the new holder's lease.
    expect(await table.renew('c1', 'dead', 60_000)).toBe(false)
    await table.release('c1', 'dead')
    expect(await table.claim('third', 60_000, 3)).toBeUndefined()
    expect(await table.renew('c1', 'other', 60_000)).toBe(true)
  })

  it('gives a released job back at once, and drops a job past its attempts', async () => {
    const table = createTable()
    await table.add({ crawlId: 'c1', pages: 5 })
    expect(await table.claim('a', 60_000, 2)).toMatchObject({ attempt: 1 })
    await table.release('c1', 'a')
    expect(await table.claim('b', 60_000, 2)).toMatchObject({ attempt: 2 })
    await table.release('c1', 'b')
    // A third run would exceed two attempts: nobody gets it, now or later.
    expect(await table.claim('c', 60_000, 2)).toBeUndefined()
    expect(await table.claim('c', 60_000, 5)).toBeUndefined()
  })

  it('runs a handed-over job as its next run, without using up an attempt', async () => {
    const table = createTable()
    await table.add({ crawlId: 'c1', pages: 5 })
    expect(await table.claim('a', 60_000, 2)).toMatchObject({ attempt: 1, attempts: 2 })
    await table.release('c1', 'a', true)
    // A second run (it must start the crawl over), with one more run to spend.
    expect(await table.claim('b', 60_000, 2)).toMatchObject({ attempt: 2, attempts: 3 })
    await table.release('c1', 'b')
    expect(await table.claim('c', 60_000, 2)).toMatchObject({ attempt: 3, attempts: 3 })
    await table.release('c1', 'c')
    expect(await table.claim('d', 60_000, 2)).toBeUndefined()
  })

  it('moves neither lease nor counts for a release by a worker that does not hold the job', async () => {
    const table = createTable()
    await table.add({ crawlId: 'c1', pages: 5 })
    expect(await table.claim('a', 60_000, 2)).toMatchObject({ attempt: 1 })
    await table.release('c1', 'stranger', true)
    expect(await table.claim('b', 60_000, 2)).toBeUndefined()
    expect(await table.renew('c1', 'a', 60_000)).toBe(true)
  })

  it('lets a worker that lost its lease remove nothing of the worker that took over', async () => {
    const table = createTable()
    await table.add({ crawlId: 'c1', pages: 5 })
    expect(await table.claim('lost', 50, 3)).toMatchObject({ attempt: 1 })
    await expect
      .poll(() => table.claim('taker', 60_000, 3), { interval: 20 })
      .toMatchObject({
        attempt: 2,
      })
    await table.remove('c1', 'lost')
    expect(await table.crawlIds()).toEqual(['c1'])
    expect(await table.renew('c1', 'taker', 60_000)).toBe(true)
    // The holder, or anyone once nobody holds it, removes it.
    await table.remove('c1', 'taker')
    expect(await table.crawlIds()).toEqual([])
  })

  it('never hands out a removed job', async () => {
    const table = createTable()
    await table.add({ crawlId: 'c1', pages: 5 })
    await table.add({ crawlId: 'c2', pages: 7 })
    expect(await table.claim('a', 60_000, 3)).toMatchObject({ spec: { crawlId: 'c1' } })
    await table.remove('c1')
    await table.remove('c2')
    expect(await table.claim('b', 60_000, 3)).toBeUndefined()
    expect(await table.renew('c1', 'a', 60_000)).toBe(false)
  })
})
