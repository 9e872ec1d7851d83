import {
  type AppendOperation,
  createEpoch,
  type EventEnvelope,
  type ProgressInput,
  type ProgressServiceOptions,
  type ProgressSnapshot,
} from '@docspasta/progress-core'
import { appendPublishScriptArgs } from '@docspasta/progress-core/lua'
import type { Cluster, Redis } from 'ioredis'
import type { CrawlKeys } from './keys.js'
import { ScriptRunner } from './scriptRunner.js'
import { pairsToObject, parseStateHash } from './stateHash.js'

/** What publish-4.lua did. */
export type PublishOutcome =
  | { kind: 'published'; envelopes: EventEnvelope[] }
  | { kind: 'not-found' }
  | { kind: 'closed' }
  | { kind: 'overflow'; counter: string }
  | { kind: 'forgotten' }
  | { kind: 'alive' }
  | { kind: 'restarted' }

/** A consistent read of a crawl: its state and the history after a seq, taken atomically. */
export interface CrawlRead {
  snapshot: ProgressSnapshot | null
  /** The oldest seq history holds (snapshot.seq + 1 when empty). */
  oldestSeq: number
  /** History after the requested seq, oldest first. */
  envelopes: EventEnvelope[]
  /** The tag of the event stored at the requested seq, if the store holds it. */
  storedTag: string | undefined
}

type StreamEntries = [id: string, fields: string[]][]

/** The phase the call leaves the crawl in: its last input's detail that names one, or ''. */
function latestPhase(inputs: readonly ProgressInput[]): string {
  for (let index = inputs.length - 1; index >= 0; index--) {
    const input = inputs[index] as ProgressInput
    if (input.type === 'progress' && input.detail?.phase !== undefined) return input.detail.phase
  }
  return ''
}

const parseEntry = ([, fields]: StreamEntries[number]) =>
  JSON.parse(fields[1] as string) as EventEnvelope

/** The Redis side of one service: every read and write of crawl state, and nothing else. */
export class CrawlStore {
  readonly #redis: Redis | Cluster
  readonly #scripts: ScriptRunner
  readonly #options: Required<ProgressServiceOptions>
  readonly #publishCommand: 'PUBLISH' | 'SPUBLISH'
  /** publish-4.lua's ARGV[2] to ARGV[6], the same for every call: made once. */
  readonly #publishOptionArgs: readonly [string, string, string, string, string]

  constructor(redis: Redis | Cluster, options: Required<ProgressServiceOptions>) {
    this.#redis = redis
    this.#scripts = new ScriptRunner(redis)
    this.#options = options
    // Sharded pub/sub keeps a cluster's messages on the shard that owns the crawl's slot.
    this.#publishCommand = redis.isCluster ? 'SPUBLISH' : 'PUBLISH'
    const { idleTtlSeconds, ttlSeconds, historyLimit, historyMaxBytes } = options
    this.#publishOptionArgs = [
      String(idleTtlSeconds),
      String(ttlSeconds),
      String(historyLimit),
      String(historyMaxBytes),
      this.#publishCommand,
    ]
  }

  /**
   * Creates the crawl or returns it; `restart` starts an existing one over (one script), once
   * per `restartId` (every attempt of one restart() call carries the same id).
   */
  async start(
    crawlId: string,
    keys: CrawlKeys,
    mode: 'start' | 'restart',
    restartId = '',
    fromEpoch = '',
  ): Promise<ProgressSnapshot> {
    const reply = (await this.#scripts.run(
      'start',
      [keys.state, keys.events, keys.operations, keys.channel],
      [
        createEpoch(),
        String(this.#options.idleTtlSeconds),
        mode,
        this.#publishCommand,
        restartId,
        fromEpoch,
      ],
    )) as string[]
    return parseStateHash(crawlId, pairsToObject(reply)) as ProgressSnapshot
  }

  /** Stamps a running crawl's heartbeat: `running`, `closed` or `missing` (nothing written). */
  async heartbeat(
    keys: CrawlKeys,
    epoch: string | undefined,
  ): Promise<'running' | 'closed' | 'missing'> {
    const reply = await this.#scripts.run(
      'heartbeat',
      [keys.state, keys.events, keys.operations],
      [String(this.#options.idleTtlSeconds), epoch ?? ''],
    )
    return reply === 1 ? 'running' : reply === 0 ? 'closed' : 'missing'
  }

  /**
   * Runs publish-4.lua for one call. `operationId` is the caller's, or one made for this call:
   * ioredis re-sends exactly these arguments after a lost reply, so every attempt carries it.
   */
  async publish(
    crawlId: string,
    keys: CrawlKeys,
    inputs: readonly ProgressInput[],
    operation: AppendOperation & { id: string },
  ): Promise<PublishOutcome> {
    const [idle, ttl, limit, maxBytes, publishCommand] = this.#publishOptionArgs
    const keysAndArgs = [
      keys.state,
      keys.events,
      keys.operations,
      keys.channel,
      crawlId,
      idle,
      ttl,
      limit,
      maxBytes,
      publishCommand,
      operation.id,
      operation.tag,
      operation.staleAfterMs === undefined ? '0' : String(operation.staleAfterMs),
      latestPhase(inputs),
      operation.epoch ?? '',
    ]
    appendPublishScriptArgs(keysAndArgs, inputs, operation.payloads)
    const [code, value] = (await this.#scripts.runWith('publish', keysAndArgs)) as [
      number,
      string | undefined,
    ]
    // One JSON array of the call's envelopes, the very message subscribers got.
    if (code === 1) return { kind: 'published', envelopes: JSON.parse(value as string) }
    if (code === -1) return { kind: 'not-found' }
    if (code === -2) return { kind: 'closed' }
    if (code === -3) return { kind: 'overflow', counter: value as string }
    if (code === -5) return { kind: 'alive' }
    if (code === -6) return { kind: 'restarted' }
    return { kind: 'forgotten' }
  }

  /**
   * Adds crawls to the running index as seen alive now; `renew` only moves those still in it
   * (one that a terminal removed meanwhile stays out).
   */
  async indexRunning(indexKey: string, crawlIds: readonly string[], renew = false): Promise<void> {
    if (crawlIds.length === 0) return
    const now = Date.now()
    const members = crawlIds.flatMap((id) => [now, id])
    await (renew
      ? this.#redis.zadd(indexKey, 'XX', ...members)
      : this.#redis.zadd(indexKey, ...members))
  }

  /** Drops crawls from the running index (closed, cleaned up or expired). */
  async unindex(indexKey: string, crawlIds: readonly string[]): Promise<void> {
    if (crawlIds.length > 0) await this.#redis.zrem(indexKey, ...crawlIds)
  }

  /** Up to `limit` indexed crawls last seen alive before `seenBefore` (epoch ms), oldest first. */
  async staleCandidates(indexKey: string, seenBefore: number, limit: number): Promise<string[]> {
    return this.#redis.zrangebyscore(indexKey, '-inf', `(${seenBefore}`, 'LIMIT', 0, limit)
  }

  async cleanup(keys: CrawlKeys): Promise<boolean> {
    const existed = await this.#scripts.run(
      'cleanup',
      [keys.state, keys.events, keys.operations, keys.channel],
      [this.#publishCommand],
    )
    return existed === 1
  }

  async getSnapshot(crawlId: string, keys: CrawlKeys): Promise<ProgressSnapshot | null> {
    return parseStateHash(crawlId, await this.#redis.hgetall(keys.state))
  }

  /**
   * State, oldest history entry and the history from `afterSeq` on, in one MULTI (one slot).
   * The entry at `afterSeq` itself is read for its tag: the identity of the resume point.
   */
  async read(crawlId: string, keys: CrawlKeys, afterSeq: number): Promise<CrawlRead> {
    const replies = await this.#redis
      .multi()
      .hgetall(keys.state)
      .xrange(keys.events, '-', '+', 'COUNT', 1)
      .xrange(keys.events, `${afterSeq}-0`, '+')
      .exec()
    if (!replies) throw new Error('MULTI was aborted')
    for (const [error] of replies) if (error) throw error
    const [hash, oldest, from] = replies.map(([, value]) => value) as [
      Record<string, string>,
      StreamEntries,
      StreamEntries,
    ]
    const snapshot = parseStateHash(crawlId, hash)
    const oldestId = oldest[0]?.[0]
    const envelopes = from.map(parseEntry)
    const atSeq = envelopes[0]?.seq === afterSeq ? envelopes.shift() : undefined
    return {
      snapshot,
      oldestSeq: oldestId ? Number.parseInt(oldestId, 10) : (snapshot?.seq ?? 0) + 1,
      envelopes,
      storedTag: atSeq ? atSeq.tag : snapshot?.seq === afterSeq ? snapshot.tag : undefined,
    }
  }
}
