import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'

export interface StartNodeProcessOptions {
  /** The program and its arguments, e.g. `['node_modules/.bin/tsx', 'src/main.ts']`. */
  command: readonly [string, ...string[]]
  cwd: string
  env?: Record<string, string | undefined>
  /** A line of stdout that says the process is ready; its first group, if any, is returned. */
  ready: RegExp
  /** Default 60,000 ms. */
  readyTimeoutMs?: number
}

export interface NodeProcess {
  readonly pid: number
  /** The `ready` line's first group (a URL, say), or the whole line. */
  readonly readyValue: string
  /** Everything the process wrote to stdout and stderr so far: for a failure's message. */
  output(): string
  /** Sends the signal and resolves with the exit code (null after a signal) once it exited. */
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

/**
 * Starts a process the way a user does (its own stdout, its own pid), resolves once it printed
 * its `ready` line; rejects with what it printed if it exits or stays silent first.
 */
export async function startNodeProcess(options: StartNodeProcessOptions): Promise<NodeProcess> {
  const child: ChildProcess = spawn(options.command[0], options.command.slice(1), {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  // events.once rejects on 'error' (a spawn that failed), which the 'error' listener reports.
  const exited = once(child, 'exit').then(
    ([code]) => code as number | null,
    () => null,
  )
  const readyValue = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`no ready line within ${options.readyTimeoutMs ?? 60_000} ms:\n${output}`))
    }, options.readyTimeoutMs ?? 60_000)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const match = options.ready.exec(output)
      if (match) {
        clearTimeout(timer)
        resolve(match[1] ?? match[0])
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    void exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`the process exited (${code}) before it was ready:\n${output}`))
    })
    // No such program, say: no 'exit' follows.
    child.once('error', (error) => {
      clearTimeout(timer)
      reject(new Error(`the process did not start: ${error.message}`))
    })
  })
  if (child.pid === undefined) throw new Error(`the process did not start:\n${output}`)
  const pid = child.pid
  return {
    pid,
    readyValue,
    output: () => output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) process.kill(pid, signal)
      return exited
    },
  }
}
