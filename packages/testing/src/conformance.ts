import { describe } from 'vitest'
import { type ConformanceTarget, createConformanceContext } from './conformance/context.js'
import { registerDetailTests } from './conformance/detailTests.js'
import { registerLifecycleTests } from './conformance/lifecycleTests.js'
import { registerOperationTests } from './conformance/operationTests.js'
import { registerOrderingTests } from './conformance/orderingTests.js'
import { registerReporterTests } from './conformance/reporterTests.js'
import { registerResumeTests } from './conformance/resumeTests.js'
import { registerTerminalTests } from './conformance/terminalTests.js'
import { registerValidationTests } from './conformance/validationTests.js'
import { registerWorkerTests } from './conformance/workerTests.js'

/**
 * Registers the ProgressService conformance suite with vitest. Every backend runs it, so none
 * can drift from the contract: seq order under concurrency, one terminal winner, exact totals,
 * idempotent calls under operation ids, validation and bounds with nothing written, replay and
 * resync (tags included), TTLs and resource release.
 *
 * @example
 * // memoryProgressService.conformance.test.ts
 * describeProgressServiceConformance({
 *   name: 'MemoryProgressService',
 *   create: (options) => new MemoryProgressService(options),
 * })
 */
export function describeProgressServiceConformance(target: ConformanceTarget): void {
  describe(`ProgressService conformance: ${target.name}`, () => {
    const ctx = createConformanceContext(target)
    registerLifecycleTests(ctx)
    registerOrderingTests(ctx)
    registerTerminalTests(ctx)
    registerOperationTests(ctx)
    registerResumeTests(ctx)
    registerValidationTests(ctx)
    registerDetailTests(ctx)
    registerReporterTests(ctx)
    registerWorkerTests(ctx)
  })
}
