import { parseBenchOptions } from './options.js'
import { markdownReport } from './report/markdownReport.js'
import { writeResults } from './report/writeResults.js'
import { runBench } from './runBench.js'

// `pnpm bench [--quick] [--reps N] [--only …]`: bare node:http, better-sse and the SDK (memory
// and Redis) over real sockets, each server in its own process, clients in two more. Exits 1 only
// for correctness failures (lost or duplicated events, a failed server, a leaked child).

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`)
const options = parseBenchOptions(process.argv.slice(2))
const report = await runBench(options, log)
const markdown = markdownReport(report, options.scenarios)
const written = writeResults(report, markdown, options.complete)
process.stdout.write(`${markdown}\n`)
log(`results: ${written.json}, ${written.markdown}${written.readme ? ', bench/README.md' : ''}`)
log(`total ${(report.durationMs / 1000).toFixed(1)} s`)
if (report.failures.length > 0) {
  log(`${report.failures.length} correctness failure(s):`)
  for (const failure of report.failures) log(`  ${failure}`)
  process.exitCode = 1
}
