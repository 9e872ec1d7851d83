export type { ConformanceTarget } from './conformance/context.js'
export {
  invalidCrawlIdArbitrary,
  invalidInputArbitrary,
} from './conformance/validationTests.js'
export { describeProgressServiceConformance } from './conformance.js'
export { EnvelopeRecorder } from './envelopeRecorder.js'
