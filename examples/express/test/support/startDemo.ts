import { fileURLToPath } from 'node:url'
import { type NodeProcess, startNodeProcess } from '@docspasta/browser-testing'

const EXAMPLE_DIR = fileURLToPath(new URL('../..', import.meta.url))

export interface DemoServer {
  process: NodeProcess
  origin: string
  port: number
}

/**
 * `src/main.ts` as `pnpm demo` runs it, in a process of its own: node itself with tsx's loader,
 * so that the pid is the server's (the tsx CLI would run it in a child that a SIGKILL of the
 * parent leaves behind).
 */
export async function startDemo(env: Record<string, string>): Promise<DemoServer> {
  const process = await startNodeProcess({
    command: [
      globalThis.process.execPath,
      '--import',
      'tsx',
      '--conditions=docspasta-source',
      'src/main.ts',
    ],
    cwd: EXAMPLE_DIR,
    env: { PORT: '0', ...env },
    ready: /demo on (http:\/\/localhost:\d+)/,
  })
  const origin = process.readyValue.replace('localhost', '127.0.0.1')
  return { process, origin, port: Number(new URL(origin).port) }
}
