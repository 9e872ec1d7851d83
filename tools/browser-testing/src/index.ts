// The types a browser test names, without a dependency of its own on playwright-core.
export type { Browser, Page } from 'playwright-core'
export { launchChromium } from './launchChromium.js'
export { type NodeProcess, type StartNodeProcessOptions, startNodeProcess } from './nodeProcess.js'
export { screenshotPath } from './screenshotPath.js'
