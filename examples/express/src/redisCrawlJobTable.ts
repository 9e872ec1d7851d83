import type { Redis } from 'ioredis'
import type { ClaimedJob, CrawlJobSpec, CrawlJobTable } from './crawlJobTable.js'

// Renews or releases a lease only for the worker that holds it: a lease that lapsed and was
// claimed by another server must not be extended or dropped by the one that lost it.
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`
const RELEASE = `if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
if ARGV[2] == '1' then redis.call('HINCRBY', KEYS[2], ARGV[3], 1) end
return 1`
// Claims one job in one step. A claim whose reply was lost and that ioredis sent again finds the
// lease held by its own token and answers the same run again, instead of counting a second one.
// KEYS: lease, jobs, runs, hand-overs. ARGV: token, leaseMs, maxAttempts, crawlId.
// Answers nil (held by another, or gone), 0 (out of attempts: dropped), or { spec, run, handOvers }.
const CLAIM = `local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return nil end
local spec = redis.call('HGET', KEYS[2], ARGV[4])
if not spec then return nil end
local handOvers = tonumber(redis.call('HGET', KEYS[4], ARGV[4]) or '0')
if holder then
  return { spec, tonumber(redis.call('HGET', KEYS[3], ARGV[4])), handOvers }
end
local runs = tonumber(redis.call('HGET', KEYS[3], ARGV[4]) or '0')
if runs - handOvers >= tonumber(ARGV[3]) then
  redis.call('HDEL', KEYS[2], ARGV[4])
  redis.call('HDEL', KEYS[3], ARGV[4])
  redis.call('HDEL', KEYS[4], ARGV[4])
  return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return { spec, redis.call('HINCRBY', KEYS[3], ARGV[4], 1), handOvers }`
// Drops the job unless another worker holds its lease (ARGV[1] empty: whoever holds it).
const REMOVE = `local holder = redis.call('GET', KEYS[1])
if ARGV[1] ~= '' and holder and holder ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HDEL', KEYS[2], ARGV[2])
redis.call('HDEL', KEYS[3], ARGV[2])
redis.call('HDEL', KEYS[4], ARGV[2])
return 1`

/**
 * The job table on Redis, shared by every demo server with the same prefix: a hash of job specs,
 * hashes of run and hand-over counts, and one lease key per running job (`SET NX PX`), which
 * expires by itself when its worker dies.
 */
export class RedisCrawlJobTable implements CrawlJobTable {
  readonly #redis: Redis
  readonly #jobs: string
  readonly #runs: string
  readonly #handOvers: string
  readonly #prefix: string

  constructor(redis: Redis, prefix = 'docspasta:demo') {
    this.#redis = redis
    this.#prefix = prefix
    this.#jobs = `${prefix}:jobs`
    this.#runs = `${prefix}:runs`
    this.#handOvers = `${prefix}:hand-overs`
  }

  #lease(crawlId: string): string {
    return `${this.#prefix}:lease:${crawlId}`
  }

  async add(spec: CrawlJobSpec): Promise<void> {
    await this.#redis.hset(this.#jobs, spec.crawlId, JSON.stringify(spec))
  }

  async claim(
    token: string,
    leaseMs: number,
    maxAttempts: number,
  ): Promise<ClaimedJob | undefined> {
    // A demo holds a handful of jobs: reading their ids each round is fine (a queue would not).
    for (const crawlId of await this.crawlIds()) {
      const keys = [this.#lease(crawlId), this.#jobs, this.#runs, this.#handOvers]
      const claimed = (await this.#redis.eval(
        CLAIM,
        keys.length,
        ...keys,
        token,
        leaseMs,
        maxAttempts,
        crawlId,
      )) as [string, number, number] | 0 | null
      if (!claimed) continue
      const [spec, attempt, handOvers] = claimed
      return { spec: JSON.parse(spec) as CrawlJobSpec, attempt, attempts: maxAttempts + handOvers }
    }
    return undefined
  }

  async renew(crawlId: string, owner: string, leaseMs: number): Promise<boolean> {
    return (await this.#redis.eval(RENEW, 1, this.#lease(crawlId), owner, leaseMs)) === 1
  }

  async release(crawlId: string, owner: string, handOver = false): Promise<void> {
    const keys = [this.#lease(crawlId), this.#handOvers]
    await this.#redis.eval(RELEASE, keys.length, ...keys, owner, handOver ? '1' : '0', crawlId)
  }

  crawlIds(): Promise<string[]> {
    return this.#redis.hkeys(this.#jobs)
  }

  async remove(crawlId: string, owner = ''): Promise<void> {
    const keys = [this.#lease(crawlId), this.#jobs, this.#runs, this.#handOvers]
    await this.#redis.eval(REMOVE, keys.length, ...keys, owner, crawlId)
  }
}
