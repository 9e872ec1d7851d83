import { parseCrawlId } from '@docspasta/progress-core'

export const DEFAULT_REDIS_PREFIX = 'docspasta:progress'

/** The Redis names of one crawl; all share the `{crawlId}` hash tag, so one slot holds them. */
export interface CrawlKeys {
  /** HASH: status, epoch, counters, seq, timestamps, terminal envelope. */
  state: string
  /** STREAM: the replay log, entry id `<seq>-0`. */
  events: string
  /** HASH: the operation ids the crawl remembers, each mapped to its call's `<first>-<last>` seqs. */
  operations: string
  /** Pub/sub channel (sharded on a cluster). */
  channel: string
}

/**
 * The only key builder of the Redis backend.
 *
 * @param prefix - default `docspasta:progress`; must not contain braces (they would change the
 *   hash slot)
 */
export function createKeyBuilder(prefix = DEFAULT_REDIS_PREFIX): (crawlId: string) => CrawlKeys {
  const keysOf = createValidatedIdKeyBuilder(prefix)
  return (crawlId) => keysOf(parseCrawlId(crawlId))
}

/**
 * The index of running crawls under a prefix (a sorted set: crawl id → when it was last seen
 * alive), which sweepStalled() reads instead of scanning keys. Crawl keys always hold a
 * `{crawlId}` hash tag; this one holds none, so no crawl's key can take its name.
 */
export function runningIndexKey(prefix = DEFAULT_REDIS_PREFIX): string {
  return `${prefix}:running`
}

/**
 * The key builder for crawl ids validated already (the service's methods validate each id once,
 * on entry): the same names as createKeyBuilder's, without checking the id a second time.
 */
export function createValidatedIdKeyBuilder(
  prefix = DEFAULT_REDIS_PREFIX,
): (validCrawlId: string) => CrawlKeys {
  if (prefix.length === 0 || /[{}\s]/.test(prefix)) {
    throw new TypeError(
      `@docspasta/progress-redis: prefix "${prefix}" must be non-empty without braces or spaces`,
    )
  }
  return (validCrawlId) => {
    const tag = `${prefix}:{${validCrawlId}}`
    return {
      state: `${tag}:state`,
      events: `${tag}:events`,
      operations: `${tag}:ops`,
      channel: tag,
    }
  }
}
