import { publishPathTable, runPublishPathBench } from './index.js'

// Usage (after `pnpm build`): tsx src/publishPath/main.ts [--quick]
const report = await runPublishPathBench({
  quick: process.argv.includes('--quick'),
  log: (line) => console.error(line),
})
console.log(publishPathTable(report))
console.log(JSON.stringify(report))
