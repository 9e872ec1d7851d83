import { readdirSync, readFileSync } from 'node:fs'
import { luaScripts } from '@docspasta/progress-core/lua'
import { EnvelopeRecorder } from '@docspasta/progress-core/testing'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
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
