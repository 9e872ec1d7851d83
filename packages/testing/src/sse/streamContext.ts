import type {
  ProgressService,
  ProgressServiceOptions,
  ProgressStreamServerOptions,
} from '@docspasta/progress-core'
import { afterEach } from 'vitest'
import type { ConformanceTarget } from '../conformance/context.js'
import {
  type ProgressHttpHarness,
  type ProgressHttpTransport,
  startProgressHttpServer,
} from './httpHarness.js'

export interface StreamContext {
  target: ConformanceTarget
  transport: ProgressHttpTransport
  crawlId(label: string): string
  /** A fresh service and an HTTP server for it; both closed after the test. */
  serve(
    options?: Omit<ProgressStreamServerOptions, 'service'>,
    serviceOptions?: ProgressServiceOptions,
  ): Promise<{ service: ProgressService; harness: ProgressHttpHarness }>
}

export function createStreamContext(
  target: ConformanceTarget,
  transport: ProgressHttpTransport,
): StreamContext {
  const run = Math.random().toString(36).slice(2, 10)
  let counter = 0
  const cleanups: (() => Promise<void>)[] = []
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  })
  return {
    target,
    transport,
    crawlId: (label) => {
      counter += 1
      return `sse-${run}-${label}-${counter}`
    },
    serve: async (options = {}, serviceOptions = {}) => {
      const service = await target.create(serviceOptions)
      cleanups.push(() => service.close())
      const harness = await startProgressHttpServer(service, options, transport)
      cleanups.push(() => harness.close())
      return { service, harness }
    },
  }
}
