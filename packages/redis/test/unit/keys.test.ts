import { ProgressValidationError } from '@docspasta/progress-core'
import { describe, expect, it } from 'vitest'
import { createKeyBuilder } from '../../src/index.js'

describe('createKeyBuilder', () => {
  it('puts every key and the channel of a crawl under one hash tag', () => {
    const keys = createKeyBuilder('app:progress')('crawl-1')
    expect(keys).toEqual({
      state: 'app:progress:{crawl-1}:state',
      events: 'app:progress:{crawl-1}:events',
      operations: 'app:progress:{crawl-1}:ops',
      channel: 'app:progress:{crawl-1}',
    })
  })

  it('validates the crawl id before it becomes a key', () => {
    expect(() => createKeyBuilder()('a}b{')).toThrow(ProgressValidationError)
  })

  it('rejects a prefix that would move the hash slot', () => {
    expect(() => createKeyBuilder('a{b}')).toThrow(TypeError)
    expect(() => createKeyBuilder('')).toThrow(TypeError)
  })
})
