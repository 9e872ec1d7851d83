export type { ConformanceTarget } from './conformance/context.js'
export {
  invalidCrawlIdArbitrary,
  invalidInputArbitrary,
} from './conformance/validationTests.js'
export { describeProgressServiceConformance } from './conformance.js'
export { EnvelopeRecorder } from './envelopeRecorder.js'
export { forceGc } from './sse/forceGc.js'
export {
  asForeignStreamServer,
  type ProgressHttpHarness,
  type ProgressHttpTransport,
  startProgressHttpServer,
} from './sse/httpHarness.js'
export { abortRandomlyWhilePublishing } from './sse/randomAborts.js'
export { SseTestClient } from './sse/sseTestClient.js'
export { expectStreamsSettled } from './sse/streamsSettled.js'
export { describeProgressStreamConformance } from './streamConformance.js'
