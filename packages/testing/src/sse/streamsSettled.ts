import type { ProgressService, ProgressStreamServer } from '@docspasta/progress-core'
import { expect, vi } from 'vitest'

/**
 * Waits until a stream server and its service hold nothing: no connection, timer, queued byte or
 * subscription.
 */
export async function expectStreamsSettled(
  streams: ProgressStreamServer,
  service: ProgressService,
  options: { timeoutMs?: number } = {},
): Promise<void> {
  await vi.waitFor(
    () => {
      expect(streams.diagnostics()).toMatchObject({ connections: 0, timers: 0, queuedBytes: 0 })
      expect(service.diagnostics().subscriptions).toBe(0)
    },
    { timeout: options.timeoutMs ?? 5_000, interval: 10 },
  )
}
