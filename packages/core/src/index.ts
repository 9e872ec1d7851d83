export { createEpoch } from './epoch.js'
export * from './errors.js'
export * from './events.js'
export { CRAWL_ID_PATTERN, EPOCH_PATTERN, PROGRESS_LIMITS } from './limits.js'
export {
  MemoryProgressService,
  type MemoryProgressServiceOptions,
} from './memory/memoryProgressService.js'
export { DEFAULT_PROGRESS_BASE_PATH, progressStreamPath } from './routes.js'
export type {
  EnvelopeHandler,
  ProgressService,
  ProgressServiceDiagnostics,
  ProgressSnapshot,
  ProgressSubscription,
  SubscribeOptions,
} from './service.js'
export {
  DEFAULT_SERVICE_OPTIONS,
  type ProgressServiceOptions,
  resolveServiceOptions,
} from './serviceOptions.js'
export {
  type DeliveryOutcome,
  OrderedDelivery,
  type OrderedDeliveryOptions,
} from './subscription/orderedDelivery.js'
export { planResume, type ResumePlan, toSnapshotEnvelope } from './subscription/resumePlan.js'
export {
  parseCrawlId,
  parseDelta,
  parseErrorInfo,
  parseInput,
  parseInputs,
  parseResumePosition,
  parseStats,
} from './validate.js'
