import { execFile } from 'node:child_process'

/**
 * Runs a command; resolves with its stdout, rejects with its output when it exits non-zero or
 * outlives `timeout` (5 minutes unless given: a stuck npm or program must not hold CI).
 */
export function runCommand(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { maxBuffer: 64 * 1024 * 1024, timeout: 300_000, killSignal: 'SIGKILL', ...options },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout)
        const output = `${stdout}${stderr}`.trim()
        const outcome = error.killed
          ? `was killed after ${options.timeout ?? 300_000} ms`
          : `exited with ${error.code}`
        reject(new Error(`\`${command} ${args.join(' ')}\` ${outcome}:\n${output}`))
      },
    )
  })
}
