export { createNodeProgressHandler, type NodeProgressHandler } from './nodeProgressHandler.js'
