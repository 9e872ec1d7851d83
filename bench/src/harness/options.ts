import { parseArgs } from 'node:util'
import { FULL_SCENARIOS, QUICK_SCENARIOS, type Scenario } from './scenarios.js'
import { SERVER_KINDS, type ServerKind } from './server/streamBackend.js'

export interface BenchOptions {
  quick: boolean
  reps: number
  scenarios: Scenario[]
  kinds: ServerKind[]
  /** Whether this run covers every scenario and server, and may replace latest.* and the README. */
  complete: boolean
  skipPublishPath: boolean
}

const USAGE = `usage: pnpm bench [--quick] [--reps N] [--only id[,id…]] [--servers kind[,kind…]] [--skip-publish-path]
scenarios (full): ${FULL_SCENARIOS.map((s) => s.id).join(', ')}
scenarios (quick): ${QUICK_SCENARIOS.map((s) => s.id).join(', ')}
servers: ${SERVER_KINDS.join(', ')}`

function listOf(value: string | undefined): string[] | undefined {
  return value
    ?.split(',')
    .map((item) => item.trim())
    .filter(Boolean)
}

export function parseBenchOptions(argv: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv.filter((arg) => arg !== '--'),
    options: {
      quick: { type: 'boolean', default: false },
      reps: { type: 'string' },
      only: { type: 'string' },
      servers: { type: 'string' },
      'skip-publish-path': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  })
  if (values.help) {
    process.stdout.write(`${USAGE}\n`)
    process.exit(0)
  }
  const quick = values.quick === true
  const reps = values.reps === undefined ? (quick ? 1 : 2) : Number(values.reps)
  if (!Number.isInteger(reps) || reps < 1)
    throw new Error(`--reps must be a positive integer\n${USAGE}`)
  const all = quick ? QUICK_SCENARIOS : FULL_SCENARIOS
  const only = listOf(values.only)
  const scenarios = only ? all.filter((s) => only.some((id) => s.id === id)) : [...all]
  if (scenarios.length === 0) throw new Error(`--only matched no scenario\n${USAGE}`)
  const servers = listOf(values.servers)
  const unknown = servers?.filter((kind) => !SERVER_KINDS.includes(kind as ServerKind))
  if (unknown?.length) throw new Error(`unknown server ${unknown.join(', ')}\n${USAGE}`)
  const kinds = servers ? SERVER_KINDS.filter((kind) => servers.includes(kind)) : [...SERVER_KINDS]
  return {
    quick,
    reps,
    scenarios,
    kinds,
    complete: !only && !servers && !values['skip-publish-path'],
    skipPublishPath: values['skip-publish-path'] === true,
  }
}
