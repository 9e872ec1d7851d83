// The event model's types, so that an app needs no other package to type what it receives (the
// runtime helpers are in the /protocol entry, outside this entry's size budget).
export type * from '@docspasta/progress-protocol'
export { type BackoffOptions, MIN_SERVER_RETRY_MS } from './backoff.js'
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
