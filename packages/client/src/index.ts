export {
  type BackoffOptions,
  backoffDelay,
  DEFAULT_BACKOFF,
  MIN_SERVER_RETRY_MS,
  parseRetryAfter,
} from './backoff.js'
export { EnvelopeGate, type GateDecision } from './envelopeGate.js'
export { ProgressClientError, type ProgressClientErrorCode } from './errors.js'
export {
  initialProgressState,
  type ProgressRecentEntry,
  type ProgressState,
  RECENT_DETAILS_LIMIT,
  reduceProgress,
} from './reducer.js'
export {
  type ProgressClientStatus,
  type ProgressSubscriptionHandle,
  type SubscribeProgressOptions,
  subscribeProgress,
} from './subscribeProgress.js'
