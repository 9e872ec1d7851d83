import { createHash } from 'node:crypto'
import { type LuaScriptName, luaScripts } from '@docspasta/progress-core/lua'
import type { Cluster, Redis } from 'ioredis'

/**
 * Runs core's Lua scripts by name: EVALSHA first, and EVAL when the server answers NOSCRIPT
 * (a restarted or failed-over Redis has an empty script cache). The caller's connection is used
 * as it is; nothing is registered on it.
 */
export class ScriptRunner {
  readonly #redis: Redis | Cluster
  readonly #shas: ReadonlyMap<LuaScriptName, string>

  constructor(redis: Redis | Cluster) {
    this.#redis = redis
    this.#shas = new Map(
      Object.values(luaScripts).map((script) => [
        script.name,
        createHash('sha1').update(script.source).digest('hex'),
      ]),
    )
  }

  run(name: LuaScriptName, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    const script = luaScripts[name]
    if (keys.length !== script.numberOfKeys) {
      throw new TypeError(`${name}.lua takes ${script.numberOfKeys} keys, got ${keys.length}`)
    }
    return this.runWith(name, [...keys, ...args])
  }

  /**
   * Runs a script on its KEYS followed by its ARGV in one array, the script's `numberOfKeys`
   * first (a hot path builds that array once, without copies).
   */
  async runWith(name: LuaScriptName, keysAndArgs: readonly string[]): Promise<unknown> {
    const { numberOfKeys, source } = luaScripts[name]
    if (keysAndArgs.length < numberOfKeys) {
      throw new TypeError(`${name}.lua takes ${numberOfKeys} keys, got ${keysAndArgs.length}`)
    }
    const sha = this.#shas.get(name) as string
    try {
      return await this.#redis.evalsha(sha, numberOfKeys, ...keysAndArgs)
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error
      return await this.#redis.eval(source, numberOfKeys, ...keysAndArgs)
    }
  }
}
