import { Redis } from 'ioredis'

/** Deletes a test's own keys from the shared Redis: those under its prefix, never others. */
export async function deleteKeysUnder(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl)
  try {
    for await (const keys of redis.scanStream({ match: `${prefix}*`, count: 500 })) {
      if ((keys as string[]).length > 0) await redis.del(...(keys as string[]))
    }
  } finally {
    await redis.quit()
  }
}
