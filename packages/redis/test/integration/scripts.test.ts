import { readdirSync, readFileSync } from 'node:fs'
import { resolveServiceOptions } from '@docspasta/progress-core'
import { luaScripts } from '@docspasta/progress-core/lua'
import { EnvelopeRecorder } from '@docspasta/progress-testing'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CrawlStore } from '../../src/crawlStore.js'
import { createKeyBuilder, RedisProgressService } from '../../src/index.js'
import { type RedisServerHandle, startRedisServer } from '../support/redisServer.js'
import { connect, deletePrefix, uniquePrefix } from '../support/testPrefix.js'

const luaDir = new URL('../../../core/src/lua/', import.meta.url).pathname

describe('Lua scripts', () => {
  it('each file declares its KEYS, ARGV and return values, and its name matches its key count', () => {
    const files = readdirSync(luaDir).filter((file) => file.endsWith('.lua'))
    expect(files.length).toBe(Object.keys(luaScripts).length)
    for (const file of files) {
      const source = readFileSync(`${luaDir}${file}`, 'utf8')
      const [, name, keyCount] = /^([a-z]+)-(\d+)\.lua$/.exec(file) ?? []
      const script = luaScripts[name as keyof typeof luaScripts]
      expect(script.source).toBe(source)
      expect(script.numberOfKeys).toBe(Number(keyCount))
      const header = source.slice(0, source.indexOf(']]'))
      for (let k = 1; k <= script.numberOfKeys; k++) expect(header).toContain(`KEYS[${k}]`)
      expect(header).not.toContain(`KEYS[${script.numberOfKeys + 1}]`)
      expect(header).toContain('ARGV[1]')
      expect(header).toContain('Returns')
      expect(source).toContain('local rcall = redis.call')
    }
  })
})

describe('payload round trips through Redis', () => {
  const redis = connect()
  const prefix = uniquePrefix('scripts')
  afterAll(async () => {
    await deletePrefix(redis, prefix)
    await redis.quit()
  })

  it('keeps empty arrays, empty objects, unicode, large integers and floats byte-exact', async () => {
    const service = new RedisProgressService({ redis, prefix })
    await service.start('roundtrip')
    const recorder = new EnvelopeRecorder()
    await service.subscribe('roundtrip', recorder.handler, recorder.options())
    const stats = {
      empty: [],
      nested: { none: {}, list: [[], [{}]] },
      text: 'ünïcødé "quoted" \\ \n line 🚀',
      big: Number.MAX_SAFE_INTEGER,
      float: 0.1 + 0.2,
      negative: -1e-7,
      flag: false,
      nothing: null,
    }
    const [discovery, progress] = await service.publishBatch('roundtrip', [
      { type: 'discovery', urls: ['https://a/ü?q="x"', 'https://b/\u2028'] },
      { type: 'progress', delta: { processed: Number.MAX_SAFE_INTEGER - 1, failed: 0 } },
    ])
    expect(discovery).toMatchObject({ urls: ['https://a/ü?q="x"', 'https://b/\u2028'] })
    expect(progress?.totals.processed).toBe(Number.MAX_SAFE_INTEGER - 1)
    expect(progress).toMatchObject({ delta: { processed: Number.MAX_SAFE_INTEGER - 1, failed: 0 } })
    expect(await service.complete('roundtrip', stats)).toBe(true)

    await recorder.waitForTerminal()
    const terminal = recorder.terminals[0]
    expect(terminal?.type === 'complete' && terminal.stats).toEqual(stats)
    const snapshot = await service.getSnapshot('roundtrip')
    expect(snapshot?.terminal).toEqual(terminal)
    await service.close()
  })
})

describe('lost state', () => {
  const redis = connect()
  const prefix = uniquePrefix('lost-state')
  afterAll(async () => {
    await deletePrefix(redis, prefix)
    await redis.quit()
  })

  it('starts over cleanly when the state hash was lost but the stream survived', async () => {
    const service = new RedisProgressService({ redis, prefix })
    const { epoch: first } = await service.start('lost')
    await service.publishBatch('lost', [
      { type: 'progress', delta: { processed: 1 } },
      { type: 'progress', delta: { processed: 1 } },
      { type: 'progress', delta: { processed: 1 } },
    ])
    const { state, events } = createKeyBuilder(prefix)('lost')
    await redis.del(state)
    expect(await redis.xlen(events)).toBe(3)

    const { epoch: second, seq } = await service.start('lost')
    expect(second).not.toBe(first)
    expect(seq).toBe(0)
    const envelope = await service.increment('lost', { processed: 5 })
    expect(envelope).toEqual({ discovered: 0, processed: 5, failed: 0 })
    const recorder = new EnvelopeRecorder()
    await service.subscribe(
      'lost',
      recorder.handler,
      recorder.options({ afterSeq: 0, epoch: second }),
    )
    await service.complete('lost', {})
    await recorder.waitForTerminal()
    expect(recorder.envelopes.map((e) => [e.epoch, e.seq])).toEqual([
      [second, 1],
      [second, 2],
    ])
    await service.close()
  })
})

describe('event tags', () => {
  const redis = connect()
  const prefix = uniquePrefix('tags')
  const keysOf = createKeyBuilder(prefix)
  afterAll(async () => {
    await deletePrefix(redis, prefix)
    await redis.quit()
  })

  // The same calls (same call tags, as ioredis re-sends them) replayed on histories of one
  // epoch, as after Redis came back with older data: a tag must tell each event apart from
  // another at the same seq unless everything up to it is the same.
  it('chains each envelope tag to the history before it', async () => {
    const store = new CrawlStore(redis, resolveServiceOptions())
    const progress = { type: 'progress' as const, delta: { processed: 1 } }
    const call = (id: string, tag: string, count: number) =>
      [
        Array.from({ length: count }, () => progress),
        { id, tag, sizes: [], payloads: [], epoch: undefined },
      ] as const
    const W = call('w', 'wwwwwwwwww', 1)
    const X = call('x', 'xxxxxxxxxx', 3)
    const Z = call('z', 'zzzzzzzzzz', 1)
    const run = async (crawlId: string, epoch: string, calls: (typeof W)[]) => {
      const keys = keysOf(crawlId)
      await store.start(crawlId, keys, 'start')
      await redis.hset(keys.state, 'epoch', epoch)
      const tags: string[] = []
      for (const [inputs, operation] of calls) {
        const outcome = await store.publish(crawlId, keys, inputs, operation)
        if (outcome.kind !== 'published') throw new Error(outcome.kind)
        tags.push(...outcome.envelopes.map((e) => `${e.seq}:${e.tag}`))
      }
      return tags
    }
    const epoch = 'rollbackepoch001'
    const original = await run('tags-original', epoch, [W, X])
    const again = await run('tags-again', epoch, [W, X])
    // W lost, X re-sent: X lands one seq earlier.
    const shifted = await run('tags-shifted', epoch, [X])
    // W lost, another call Z took its seq, then X re-sent at its old seqs.
    const replaced = await run('tags-replaced', epoch, [Z, X])
    expect(again).toEqual(original)
    expect(new Set(original.map((t) => t.split(':')[1])).size).toBe(4)
    for (const other of [shifted, replaced]) {
      for (const entry of other) expect(original).not.toContain(entry)
    }
  })
})

describe('a stream lost under its state', () => {
  const redis = connect()
  const prefix = uniquePrefix('lost-stream')
  afterAll(async () => {
    await deletePrefix(redis, prefix)
    await redis.quit()
  })

  it('counts history bytes afresh, and refuses a remembered id whose envelopes are gone', async () => {
    const service = new RedisProgressService({ redis, prefix })
    const keys = createKeyBuilder(prefix)('lost-stream')
    await service.start('lost-stream')
    await service.increment('lost-stream', { processed: 1 }, { operationId: 'page-1' })
    // Evicted or deleted by hand; the state hash and the operation ids stay.
    await redis.del(keys.events)
    await expect(
      service.increment('lost-stream', { processed: 1 }, { operationId: 'page-1' }),
    ).rejects.toMatchObject({
      code: 'backend-failure',
      message: expect.stringContaining('history no longer holds its envelopes'),
    })
    const envelope = await service.publish('lost-stream', { type: 'progress', delta: {} })
    expect(envelope.seq).toBe(2)
    const [entry] = await redis.xrange(keys.events, '-', '+')
    expect(Number(await redis.hget(keys.state, 'hbytes'))).toBe(
      Buffer.byteLength(entry?.[1][1] as string),
    )
    await service.close()
  })

  it('rejects an invalid subscribeTimeoutMs with ProgressValidationError', () => {
    for (const subscribeTimeoutMs of [0, -1, 1.5, Number.NaN, 3_600_001]) {
      expect(() => new RedisProgressService({ redis, prefix, subscribeTimeoutMs })).toThrow(
        expect.objectContaining({ code: 'invalid-input', field: 'options.subscribeTimeoutMs' }),
      )
    }
  })
})

describe('script cache', () => {
  let server: RedisServerHandle
  let redis: Redis
  beforeAll(async () => {
    server = await startRedisServer()
    redis = new Redis(server.url)
  })
  afterAll(async () => {
    await redis.quit()
    await server.stop()
  })

  it('falls back to EVAL when the server answers NOSCRIPT (flushed or restarted cache)', async () => {
    const service = new RedisProgressService({ redis })
    await service.start('noscript')
    await service.increment('noscript', { processed: 1 })
    await redis.script('FLUSH')
    expect(await service.increment('noscript', { processed: 1 })).toMatchObject({ processed: 2 })
    await redis.script('FLUSH')
    expect(await service.complete('noscript', {})).toBe(true)
    await service.close()
  })
})
