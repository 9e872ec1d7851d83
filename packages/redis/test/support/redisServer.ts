import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** A redis-server this test process started, stopped by its pid. */
export interface RedisServerHandle {
  port: number
  url: string
  readonly pid: number
  /** Stops the server for good and removes its data directory. */
  stop(): Promise<void>
  /** Stops the process (SIGTERM, or SIGKILL when `crash`) but keeps its data for restart(). */
  halt(options?: { crash?: boolean }): Promise<void>
  /** Starts the server again on the same port and data directory (halting it first if needed). */
  restart(): Promise<void>
}

async function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}

/** A free port whose cluster-bus twin (port + 10000) is free too. */
export async function findFreePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 20_000)
    if ((await isPortFree(port)) && (await isPortFree(port + 10_000))) return port
  }
  throw new Error('no free port pair found')
}

function waitForReady(child: ChildProcess, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = ''
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`redis-server on ${port} did not start within 10 s:\n${output}`))
    }, 10_000)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer)
        child.stdout?.off('data', onData)
        child.stdout?.resume()
        resolve()
      }
    }
    child.stdout?.on('data', onData)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`redis-server on ${port} exited with ${code}:\n${output}`))
    })
  })
}

/** Starts a redis-server of its own on a free port, in a fresh temporary directory. */
export async function startRedisServer(
  extraArgs: readonly string[] = [],
): Promise<RedisServerHandle> {
  const port = await findFreePort()
  const dir = mkdtempSync(join(tmpdir(), 'docspasta-redis-'))
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '']
  args.push('--appendonly', 'no', ...extraArgs)
  let child: ChildProcess

  const launch = async () => {
    child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'inherit'] })
    await waitForReady(child, port)
  }
  await launch()

  const stopChild = async (crash: boolean) => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill(crash ? 'SIGKILL' : 'SIGTERM')
    await exited
  }

  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return child.pid as number
    },
    async stop() {
      await stopChild(false)
      rmSync(dir, { recursive: true, force: true })
    },
    async halt(options = {}) {
      await stopChild(options.crash ?? false)
    },
    async restart() {
      await stopChild(false)
      await launch()
    },
  }
}

/** A Redis Cluster of `masters` nodes, no replicas, each its own redis-server. */
export async function startRedisCluster(
  masters = 3,
  extraArgs: readonly string[] = [],
): Promise<{
  nodes: RedisServerHandle[]
  stop(): Promise<void>
}> {
  const nodes: RedisServerHandle[] = []
  try {
    for (let i = 0; i < masters; i++) {
      nodes.push(
        await startRedisServer([
          '--cluster-enabled',
          'yes',
          '--cluster-node-timeout',
          '2000',
          ...extraArgs,
        ]),
      )
    }
    await run('redis-cli', [
      '--cluster',
      'create',
      ...nodes.map((node) => `127.0.0.1:${node.port}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ])
    for (let attempt = 0; ; attempt++) {
      const states = await Promise.all(
        nodes.map(async (node) => {
          const { stdout } = await run('redis-cli', ['-p', String(node.port), 'cluster', 'info'])
          return stdout.includes('cluster_state:ok')
        }),
      )
      if (states.every(Boolean)) break
      if (attempt > 100) throw new Error('the cluster did not reach cluster_state:ok')
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  } catch (error) {
    await Promise.all(nodes.map((node) => node.stop()))
    throw error
  }
  return { nodes, stop: async () => void (await Promise.all(nodes.map((node) => node.stop()))) }
}
