import { type ChildProcess, fork } from 'node:child_process'
import type { CommandMessage, ReplyMessage } from './childCommands.js'

/** A forked child process the runner talks to with commands; see childCommands.ts. */
export interface BenchChild {
  readonly name: string
  readonly pid: number
  request<T>(command: string, args?: unknown, timeoutMs?: number): Promise<T>
  /** Sends `exit` and waits for the process to end; false when it had to be killed (a leak). */
  exit(timeoutMs?: number): Promise<boolean>
  /** Why the child failed (crashed, exited early), if it did. */
  failure(): string | undefined
}

interface Pending {
  resolve(value: unknown): void
  reject(error: Error): void
  timer: NodeJS.Timeout
}

const DEFAULT_REQUEST_TIMEOUT_MS = 120_000

function isReply(value: unknown): value is ReplyMessage {
  return typeof value === 'object' && value !== null && 'id' in value && 'ok' in value
}

/**
 * Forks and tracks every child process of a bench run, so that all of them can be killed (by pid)
 * on exit, on SIGINT or after a failure, and so that a child that does not exit is reported.
 */
export class ChildRegistry {
  private readonly live = new Set<ChildProcess>()

  fork(name: string, script: string, args: unknown, options: { exposeGc?: boolean } = {}) {
    const execArgv = [...process.execArgv, ...(options.exposeGc ? ['--expose-gc'] : [])]
    const child = fork(script, [name, JSON.stringify(args)], {
      execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    })
    this.live.add(child)
    return this.wrap(name, child)
  }

  /** Tracks a process the runner spawned itself (redis-server), so killAll() stops it too. */
  track(child: ChildProcess): void {
    this.live.add(child)
    child.once('exit', () => this.live.delete(child))
  }

  /** Kills every child still running (SIGKILL, by pid); returns how many there were. */
  killAll(): number {
    let killed = 0
    for (const child of this.live) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL')
        killed += 1
      }
    }
    this.live.clear()
    return killed
  }

  private wrap(name: string, child: ChildProcess): BenchChild {
    const pending = new Map<number, Pending>()
    let nextId = 1
    let failure: string | undefined
    let exiting = false
    const exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        this.live.delete(child)
        if (!exiting) failure = `${name} exited early (code ${code}, signal ${signal})`
        for (const entry of pending.values()) {
          clearTimeout(entry.timer)
          entry.reject(new Error(failure ?? `${name} exited`))
        }
        pending.clear()
        resolve()
      })
    })
    child.on('message', (message: unknown) => {
      if (!isReply(message)) return
      const entry = pending.get(message.id)
      if (!entry) return
      pending.delete(message.id)
      clearTimeout(entry.timer)
      if (message.ok) entry.resolve(message.result)
      else entry.reject(new Error(`${name}: ${message.error}`))
    })
    const request = <T>(command: string, args?: unknown, timeoutMs = DEFAULT_REQUEST_TIMEOUT_MS) =>
      new Promise<T>((resolve, reject) => {
        if (failure) return reject(new Error(failure))
        const id = nextId++
        const timer = setTimeout(() => {
          pending.delete(id)
          reject(new Error(`${name}: ${command} timed out after ${timeoutMs} ms`))
        }, timeoutMs)
        pending.set(id, { resolve: (value) => resolve(value as T), reject, timer })
        const message: CommandMessage = { id, command, args }
        child.send(message)
      })
    return {
      name,
      pid: child.pid ?? -1,
      request,
      failure: () => failure,
      exit: async (timeoutMs = 10_000) => {
        if (child.exitCode !== null || child.signalCode !== null) return true
        exiting = true
        const deadline = new Promise<'timeout'>((resolve) => {
          const timer = setTimeout(() => resolve('timeout'), timeoutMs)
          exited.then(() => clearTimeout(timer))
        })
        request('exit', undefined, timeoutMs).catch(() => {})
        if ((await Promise.race([exited, deadline])) !== 'timeout') return true
        child.kill('SIGKILL')
        await exited
        return false
      },
    }
  }
}
