import { execFileSync } from 'node:child_process'
import type { TestProject } from 'vitest/node'
import { type RedisServerHandle, startRedisServer } from './redisServer.js'

declare module 'vitest' {
  export interface ProvidedContext {
    /** The Redis that tests share: REDIS_URL, or a redis-server started for this run. */
    redisUrl: string
  }
}

function hasRedisServerBinary(): boolean {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/**
 * Finds the Redis for the test run: REDIS_URL when set, otherwise a redis-server of its own on a
 * free port (stopped after the run). With neither, the run fails with a message that says so.
 */
export default async function setup(project: TestProject) {
  const fromEnv = process.env.REDIS_URL
  if (fromEnv) {
    project.provide('redisUrl', fromEnv)
    return
  }
  if (!hasRedisServerBinary()) {
    throw new Error(
      'The Redis tests need the redis-server and redis-cli binaries on PATH (Debian/Ubuntu: ' +
        'apt-get install redis-server): the fault and cluster tests start their own servers, and ' +
        'the others use REDIS_URL when it is set, else one more server of their own.',
    )
  }
  const server: RedisServerHandle = await startRedisServer()
  project.provide('redisUrl', server.url)
  return async () => {
    await server.stop()
  }
}
