import { describeProgressStreamConformance } from '@docspasta/progress-testing'
import { afterAll } from 'vitest'
import { RedisProgressService } from '../../src/index.js'
import { connect, deletePrefix, scanPrefix, uniquePrefix } from '../support/testPrefix.js'

const redis = connect()
const prefix = uniquePrefix('streams')

afterAll(async () => {
  await deletePrefix(redis, prefix)
  await redis.quit()
})

describeProgressStreamConformance({
  name: 'RedisProgressService (standalone)',
  create: (options) => new RedisProgressService({ redis, prefix, ...options }),
  countStored: async () => (await scanPrefix(redis, prefix)).length,
})
