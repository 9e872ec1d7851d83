import { fileURLToPath } from 'node:url'
import { type NodeProcess, startNodeProcess } from '@docspasta/browser-testing'

const EXAMPLE_DIR = fileURLToPath(new URL('../..', import.meta.url))

/** The environment that every process of one test shares (prefixes, Redis, timings). */
export type ExampleEnv = Record<string, string>

/**
 * One entry of the example as its own Node process, on the sources: `node --import tsx`, so that
 * the pid is the process that runs the code (tsx's CLI would run it in a child of its own, which
 * a SIGKILL of the CLI leaves behind). tsx resolves from the repository root.
 */
function startEntry(entry: string, env: ExampleEnv, ready: RegExp): Promise<NodeProcess> {
  return startNodeProcess({
    command: [process.execPath, '--import', 'tsx', '--conditions=docspasta-source', entry],
    cwd: EXAMPLE_DIR,
    env,
    ready,
    // Several processes compile the sources at once on a small, busy machine.
    readyTimeoutMs: 60_000,
  })
}

/** The server on `port` (0: a free one); `readyValue` is the port it listens on. */
export function startServer(env: ExampleEnv, port = 0): Promise<NodeProcess> {
  return startEntry(
    'src/server.ts',
    { ...env, PORT: String(port) },
    /listening on http:\/\/localhost:(\d+)/,
  )
}

export function startWorker(env: ExampleEnv): Promise<NodeProcess> {
  return startEntry('src/worker.ts', env, /worker \d+: ready/)
}

/**
 * Stops a process by its pid: SIGTERM, then SIGKILL if it has not exited within `graceMs` (a
 * worker waits for its job). Resolves with the exit code (null after a signal).
 */
export async function stopProcess(child: NodeProcess, graceMs = 10_000): Promise<number | null> {
  const exited = child.stop('SIGTERM')
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), graceMs)
  })
  try {
    const first = await Promise.race([exited, late])
    return first === 'late' ? await child.stop('SIGKILL') : first
  } finally {
    clearTimeout(timer)
  }
}
