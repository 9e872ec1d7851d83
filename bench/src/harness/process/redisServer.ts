import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ChildRegistry } from './childRegistry.js'

export interface BenchRedis {
  url: string
  /** Where it came from, for the report. */
  description: string
  stop(): Promise<void>
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      const port = typeof address === 'object' && address ? address.port : 0
      probe.close(() => resolve(port))
    })
  })
}

/**
 * The Redis of the SDK-on-Redis runs: BENCH_REDIS_URL when set, else a redis-server of the
 * bench's own on a free port (so a fresh clone needs only the binary, and no shared Redis is
 * touched). Undefined when neither is available: the Redis runs are then skipped.
 */
export async function startBenchRedis(children: ChildRegistry): Promise<BenchRedis | undefined> {
  const external = process.env.BENCH_REDIS_URL
  if (external) return { url: external, description: `BENCH_REDIS_URL`, stop: async () => {} }
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'docspasta-bench-redis-'))
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '']
  const child = spawn('redis-server', [...args, '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.track(child)
  const ready = await new Promise<boolean>((resolve) => {
    let output = ''
    const timer = setTimeout(() => resolve(false), 10_000)
    child.once('error', () => {
      clearTimeout(timer)
      resolve(false)
    })
    child.once('exit', () => {
      clearTimeout(timer)
      resolve(false)
    })
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer)
        resolve(true)
      }
    })
  })
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
    }
    rmSync(dir, { recursive: true, force: true })
  }
  if (!ready) {
    await stop()
    return undefined
  }
  // Keep draining its output so a full pipe never blocks it.
  child.stdout?.resume()
  child.stderr?.resume()
  const version = await redisVersion()
  return { url: `redis://127.0.0.1:${port}`, description: `own redis-server ${version}`, stop }
}

async function redisVersion(): Promise<string> {
  return new Promise((resolve) => {
    const probe = spawn('redis-server', ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] })
    let output = ''
    probe.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    probe.once('close', () => resolve(/v=(\S+)/.exec(output)?.[1] ?? 'unknown'))
    probe.once('error', () => resolve('unknown'))
  })
}
