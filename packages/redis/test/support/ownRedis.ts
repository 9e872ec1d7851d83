import { Redis, type RedisOptions } from 'ioredis'
import { afterEach } from 'vitest'
import { type RedisServerHandle, startRedisServer } from './redisServer.js'

/**
 * Redis servers of a test's own (for faults that would disturb other test files: kills,
 * restarts, rollbacks) and the connections opened to them, all stopped after each test.
 * Reconnect errors are expected there; they are collected, never discarded.
 */
export function useOwnRedis() {
  const servers: RedisServerHandle[] = []
  const clients: Redis[] = []
  const connectionErrors: Error[] = []
  const onConnectionError = (error: Error) => void connectionErrors.push(error)

  afterEach(async () => {
    await Promise.all(
      clients.splice(0).map((client) => client.quit().catch(() => client.disconnect())),
    )
    await Promise.all(servers.splice(0).map((server) => server.stop()))
    connectionErrors.length = 0
  })

  return {
    connectionErrors,
    onConnectionError,
    /**
     * Starts a server; `open()` connects to it, or to `url` (a proxy in front of it),
     * reconnecting forever and never failing a command.
     */
    async start(extraArgs: string[] = []) {
      const server = await startRedisServer(extraArgs)
      servers.push(server)
      const open = (options: RedisOptions = {}, url = server.url) => {
        const client = new Redis(url, { maxRetriesPerRequest: null, ...options })
        client.on('error', onConnectionError)
        clients.push(client)
        return client
      }
      return { server, open }
    },
  }
}
