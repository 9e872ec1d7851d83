export { initialProgressState, type ProgressState, reduceProgress } from './reducer.js'
