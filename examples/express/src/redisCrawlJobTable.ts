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
    owner: string,
    leaseMs: number,
    maxAttempts: number,
  ): Promise<ClaimedJob | undefined> {
    // A demo holds a handful of jobs: reading their ids each round is fine (a queue would not).
    for (const crawlId of await this.crawlIds()) {
      const lease = this.#lease(crawlId)
      if ((await this.#redis.set(lease, owner, 'PX', leaseMs, 'NX')) !== 'OK') continue
      const [spec, attempt, handOvers] = await Promise.all([
        this.#redis.hget(this.#jobs, crawlId),
        this.#redis.hincrby(this.#runs, crawlId, 1),
        this.#redis.hget(this.#handOvers, crawlId).then(Number),
      ])
      if (spec === null || attempt - handOvers > maxAttempts) {
        // Removed meanwhile, or out of attempts: nobody runs it again.
        await this.remove(crawlId, owner)
        continue
      }
      const attempts = maxAttempts + handOvers
      return { spec: JSON.parse(spec) as CrawlJobSpec, attempt, attempts }
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
