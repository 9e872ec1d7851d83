import { type ExampleConfig, readConfig } from './config.js'

/** Prints a configuration or startup error without a stack, and exits with 1. */
export function exitWithError(label: string, error: unknown): never {
  console.error(`${label}: ${error instanceof Error ? error.message : String(error)}`)
  process.exit(1)
}

/** The settings from the environment, or an exit with the variable that is wrong. */
export function readConfigOrExit(label: string): ExampleConfig {
  try {
    return readConfig()
  } catch (error) {
    exitWithError(label, error)
  }
}

/**
 * Runs `stop` once, on the first SIGINT or SIGTERM (a terminal's Ctrl-C reaches every process
 * of the group, and main.ts sends SIGTERM as well). The process then exits by itself once
 * nothing is left open: no process.exit() on success, so a handle left open shows as a hang
 * instead of hiding.
 */
export function onShutdownSignal(label: string, stop: () => Promise<void>): void {
  let stopping = false
  const handle = (signal: NodeJS.Signals) => {
    if (stopping) return
    stopping = true
    console.log(`${label}: ${signal}, shutting down`)
    stop().catch((error: unknown) => {
      console.error(`${label}: shutdown failed:`, error)
      process.exitCode = 1
    })
  }
  process.on('SIGINT', handle)
  process.on('SIGTERM', handle)
}
