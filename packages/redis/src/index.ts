export { type CrawlKeys, createKeyBuilder, DEFAULT_REDIS_PREFIX, runningIndexKey } from './keys.js'
export { RedisProgressService, type RedisProgressServiceOptions } from './redisProgressService.js'
