import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { BenchReport } from '../results.js'

const BENCH_DIR = fileURLToPath(new URL('../../../', import.meta.url))
const START_MARKER = '<!-- bench:results -->'
const END_MARKER = '<!-- /bench:results -->'

export interface WrittenResults {
  json: string
  markdown: string
  readme: boolean
}

/**
 * Writes the raw JSON and the markdown tables with a timestamped name. A complete full run also
 * becomes latest.json / latest.md and replaces the results section of bench/README.md; quick and
 * partial runs go to git-ignored folders (results/quick, results/partial) and touch nothing else.
 */
export function writeResults(
  report: BenchReport,
  markdown: string,
  complete: boolean,
): WrittenResults {
  const folder =
    report.mode === 'quick' ? 'results/quick' : complete ? 'results' : 'results/partial'
  const dir = join(BENCH_DIR, folder)
  mkdirSync(dir, { recursive: true })
  const stamp = report.startedAt.replace(/[:.]/g, '-')
  const json = join(dir, `${stamp}.json`)
  const md = join(dir, `${stamp}.md`)
  const jsonText = `${JSON.stringify(report, null, 2)}\n`
  writeFileSync(json, jsonText)
  writeFileSync(md, markdown)
  const updateLatest = report.mode === 'full' && complete
  if (updateLatest) {
    writeFileSync(join(dir, 'latest.json'), jsonText)
    writeFileSync(join(dir, 'latest.md'), markdown)
    replaceReadmeSection(markdown)
    formatWithBiome([join(dir, 'latest.md'), join(BENCH_DIR, 'README.md'), md])
  }
  return { json, markdown: md, readme: updateLatest }
}

function replaceReadmeSection(markdown: string): void {
  const readme = join(BENCH_DIR, 'README.md')
  const text = readFileSync(readme, 'utf8')
  const start = text.indexOf(START_MARKER)
  const end = text.indexOf(END_MARKER)
  const section = `${START_MARKER}\n\n${markdown.trim()}\n\n${END_MARKER}`
  const next =
    start !== -1 && end > start
      ? text.slice(0, start) + section + text.slice(end + END_MARKER.length)
      : `${text.trimEnd()}\n\n## Latest results\n\n${section}\n`
  writeFileSync(readme, next)
}

/** Lets the repository's formatter lay out committed markdown, so `biome ci .` stays clean. */
export function formatWithBiome(files: string[]): void {
  try {
    execFileSync('pnpm', ['exec', 'biome', 'format', '--write', ...files], {
      cwd: BENCH_DIR,
      stdio: 'ignore',
    })
  } catch {
    // Best effort: an unformatted table is still a correct result.
  }
}
