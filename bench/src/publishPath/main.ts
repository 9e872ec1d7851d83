import { ChildRegistry } from '../harness/process/childRegistry.js'
import { startBenchRedis } from '../harness/process/redisServer.js'
import { publishPathTable, runPublishPathBench } from './index.js'

// Usage (after `pnpm build`): tsx src/publishPath/main.ts [--quick]
const children = new ChildRegistry()
const redis = await startBenchRedis(children)
if (!redis) throw new Error('no Redis: set BENCH_REDIS_URL or install redis-server')
try {
  const report = await runPublishPathBench({
    quick: process.argv.includes('--quick'),
    redisUrl: redis.url,
    log: (line) => console.error(line),
  })
  console.log(publishPathTable(report))
  console.log(JSON.stringify(report))
} finally {
  await redis.stop()
  children.killAll()
}
