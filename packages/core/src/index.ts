export {
  CRAWL_ID_PATTERN,
  CRAWL_ID_RULE,
  DEFAULT_PROGRESS_BASE_PATH,
  EPOCH_PATTERN,
  MAX_TOTAL,
  OPERATION_ID_PATTERN,
  PROGRESS_LIMITS,
  type ProgressStreamRoute,
  progressStreamPath,
  progressStreamRoute,
  TAG_PATTERN,
} from '@docspasta/progress-protocol'
export * from './errors.js'
export * from './events.js'
export {
  MemoryProgressService,
  type MemoryProgressServiceOptions,
} from './memory/memoryProgressService.js'
export {
  type AppendOperation,
  ProgressServiceBase,
  type ResumePosition,
  stalledErrorInfo,
} from './progressServiceBase.js'
export { CallTokens, createEpoch } from './randomTokens.js'
export type {
  EnvelopeHandler,
  HeartbeatOptions,
  ProgressService,
  ProgressServiceDiagnostics,
  ProgressSnapshot,
  ProgressSubscription,
  PublishOptions,
  RestartOptions,
  StallSweepResult,
  SubscribeOptions,
} from './service.js'
export {
  DEFAULT_SERVICE_OPTIONS,
  type ProgressServiceOptions,
  resolveServiceOptions,
} from './serviceOptions.js'
export {
  type CreateProgressStreamOptions,
  createProgressStream,
  progressResponse,
} from './sse/createProgressStream.js'
export {
  type ConnectionEnd,
  DEFAULT_STREAM_TUNING,
  type ProgressStreamTuning,
} from './sse/progressConnection.js'
export {
  type AuthorizeResult,
  createProgressStreamServer,
  type HandleOptions,
  type ProgressStreamServer,
  type ProgressStreamServerDiagnostics,
  type ProgressStreamServerOptions,
} from './sse/progressStreamServer.js'
export {
  formatPosition,
  parseLastEventId,
  SSE_HEADERS,
  type StreamPosition,
} from './sse/sseEncoding.js'
export {
  type StallCheckOutcome,
  type StallSweep,
  StallWatch,
  type StallWatchOptions,
  stallCheckIntervalMs,
} from './stall/stallWatch.js'
export {
  type DeliveryOutcome,
  OrderedDelivery,
  type OrderedDeliveryOptions,
} from './subscription/orderedDelivery.js'
export {
  applyResume,
  planResume,
  type ResumePlan,
  toSnapshotEnvelope,
} from './subscription/resumePlan.js'
export {
  parseCrawlId,
  parseDelta,
  parseEpochOption,
  parseErrorInfo,
  parseInput,
  parseInputs,
  parseOperationId,
  parseResumePosition,
  parseStats,
  totalsOverflowError,
} from './validate.js'
export {
  createProgressReporter,
  type ProgressReporter,
  type ProgressReporterOptions,
} from './worker/progressReporter.js'
export {
  type CrawlJob,
  type CrawlJobResult,
  describeJobError,
  type RunCrawlJobOptions,
  runCrawlJob,
} from './worker/runCrawlJob.js'
