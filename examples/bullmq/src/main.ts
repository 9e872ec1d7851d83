// `pnpm start`: the server and two workers, each a process of its own (as they would be
// deployed), so that one can be killed and the others carry on.
import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { readConfigOrExit } from './processLifecycle.js'

const WORKERS = 2
const label = `main ${process.pid}`
// Read once here so that a wrong variable stops everything before anything starts.
readConfigOrExit(label)

const running = new Set<ChildProcess>()
let stopping = false

/** One process of the example, with this one's Node flags (tsx, conditions) and environment. */
function start(file: string): ChildProcess {
  const entry = fileURLToPath(new URL(file, import.meta.url))
  const child = spawn(process.execPath, [...process.execArgv, entry], { stdio: 'inherit' })
  running.add(child)
  child.once('exit', (code, signal) => {
    running.delete(child)
    console.log(`${label}: ${file} (pid ${child.pid}) exited with ${signal ?? code}`)
    if (stopping && code !== 0) process.exitCode = 1
  })
  return child
}

const server = start('./server.ts')
const workers = Array.from({ length: WORKERS }, () => start('./worker.ts'))
console.log(
  `${label}: server pid ${server.pid}, worker pids ${workers.map((w) => w.pid).join(' and ')}`,
)

// A terminal's Ctrl-C reaches the children too, a process manager's SIGTERM only main: either
// way each child gets SIGTERM (shutting down twice is harmless), and main ends after the last.
const stop = (signal: NodeJS.Signals) => {
  if (!stopping) console.log(`${label}: ${signal}, stopping ${running.size} processes`)
  stopping = true
  for (const child of running) child.kill('SIGTERM')
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
