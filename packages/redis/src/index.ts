export { type CrawlKeys, createKeyBuilder, DEFAULT_REDIS_PREFIX } from './keys.js'
