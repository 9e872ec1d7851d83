// What servers, workers and browsers share, with no dependency: the event model's types, the type
// guard, the route helpers, the limits and the errors those helpers throw.

export * from './envelopes.js'
export {
  isProgressError,
  ProgressError,
  type ProgressErrorCode,
  ProgressValidationError,
  type ValidationIssue,
} from './errors.js'
export {
  CRAWL_ID_PATTERN,
  CRAWL_ID_RULE,
  EPOCH_PATTERN,
  MAX_TOTAL,
  OPERATION_ID_PATTERN,
  PROGRESS_LIMITS,
  TAG_PATTERN,
} from './limits.js'
export {
  DEFAULT_PROGRESS_BASE_PATH,
  type ProgressStreamRoute,
  progressStreamPath,
  progressStreamRoute,
} from './routes.js'
