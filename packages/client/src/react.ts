// The React binding, an entry of its own so that the default entry stays free of React (an
// optional peer dependency). It imports the client through the package's own name: one copy of
// subscribeProgress and ProgressClientError in an app that uses both entries.
export {
  type UseProgressOptions,
  type UseProgressResult,
  useProgress,
} from './react/useProgress.js'
