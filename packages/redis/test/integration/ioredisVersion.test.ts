import { expect, it } from 'vitest'
import { connect } from '../support/testPrefix.js'

// The Redis suite runs once per ioredis major of the peer range (vitest.config.ts projects).
// This proves each run drives the major it names, by what Redis sees: ioredis 6 speaks RESP3 by
// default (HELLO 3), ioredis 5 speaks RESP2.
it('runs on the ioredis major this test project names', async () => {
  const redis = connect()
  const info = String(await redis.call('CLIENT', 'INFO'))
  const resp = /resp=(\d)/.exec(info)?.[1]
  console.info(
    'ioredis under test',
    JSON.stringify({ major: process.env.EXPECTED_IOREDIS_MAJOR, resp }),
  )
  expect(resp).toBe(process.env.EXPECTED_IOREDIS_MAJOR === '6' ? '3' : '2')
  await redis.quit()
})
