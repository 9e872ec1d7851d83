import { existsSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type NodeProcess, startNodeProcess } from '@docspasta/browser-testing'

/** examples/next, where `next start` and the worker run. */
export const EXAMPLE_DIR = fileURLToPath(new URL('../..', import.meta.url))
const NEXT_BIN = join(EXAMPLE_DIR, 'node_modules/next/dist/bin/next')

/** The variables the example reads; each test sets all of them, so none leaks from the runner. */
export interface ExampleEnv {
  REDIS_URL?: string
  PROGRESS_PREFIX?: string
  BULLMQ_PREFIX?: string
  CRAWL_PAGE_DELAY_MS: string
}

/** Throws unless `next build` has run: the tests start the built app, as production does. */
export function assertBuilt(): void {
  if (!existsSync(join(EXAMPLE_DIR, '.next/BUILD_ID'))) {
    throw new Error(
      'examples/next has no build (.next/BUILD_ID is missing): run ' +
        '`pnpm --filter @docspasta/example-next build` (or `pnpm build` at the root) first.',
    )
  }
}

/** A port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (address === null || typeof address === 'string') throw new Error('no port was assigned')
  return address.port
}

function childEnv(env: ExampleEnv): Record<string, string | undefined> {
  return {
    // Unset, not inherited: a REDIS_URL of the test runner must not switch the memory tests.
    REDIS_URL: undefined,
    PROGRESS_PREFIX: undefined,
    BULLMQ_PREFIX: undefined,
    ...env,
    // Vitest sets NODE_ENV=test; the built app runs as in production.
    NODE_ENV: 'production',
    NEXT_TELEMETRY_DISABLED: '1',
  }
}

/** `next start` of the built app on 127.0.0.1:port, one process (its pid is the server's). */
export function startNext(port: number, env: ExampleEnv): Promise<NodeProcess> {
  return startNodeProcess({
    command: [
      process.execPath,
      NEXT_BIN,
      'start',
      '--port',
      String(port),
      '--hostname',
      '127.0.0.1',
    ],
    cwd: EXAMPLE_DIR,
    env: childEnv(env),
    ready: /Ready in/,
  })
}

/** The crawl worker (src/worker.ts) under tsx, in one process. */
export function startWorker(env: ExampleEnv): Promise<NodeProcess> {
  return startNodeProcess({
    // tsx is the repository root's devDependency; Node resolves it from here upwards.
    command: [process.execPath, '--import', 'tsx', 'src/worker.ts'],
    cwd: EXAMPLE_DIR,
    env: childEnv(env),
    ready: /crawl worker ready/,
  })
}

/** SIGTERM, and SIGKILL if the process is still there after `graceMs`; resolves once it exited. */
export async function stopProcess(child: NodeProcess, graceMs = 10_000): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const graceOver = new Promise<'grace-over'>((resolve) => {
    timer = setTimeout(() => resolve('grace-over'), graceMs)
  })
  const first = await Promise.race([child.stop('SIGTERM'), graceOver])
  clearTimeout(timer)
  if (first === 'grace-over') await child.stop('SIGKILL')
}
