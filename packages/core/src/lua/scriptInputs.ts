import type { ProgressInput } from '../events.js'

/**
 * The ARGV values of publish-3.lua for validated inputs: per input its type, the three counter
 * increments and the payload as a JSON fragment (`"urls":[…]`). Serializing here, in JS, keeps
 * payloads byte-exact: the script splices the fragment into the envelope without decoding it.
 */
export function toPublishScriptArgs(inputs: readonly ProgressInput[]): string[] {
  const args: string[] = []
  for (const input of inputs) {
    switch (input.type) {
      case 'discovery':
        args.push('discovery', String(input.urls.length), '0', '0', fragment('urls', input.urls))
        break
      case 'progress': {
        const { discovered = 0, processed = 0, failed = 0 } = input.delta
        args.push(
          'progress',
          String(discovered),
          String(processed),
          String(failed),
          fragment('delta', input.delta),
        )
        break
      }
      case 'complete':
        args.push('complete', '0', '0', '0', fragment('stats', input.stats))
        break
      case 'error':
        args.push('error', '0', '0', '0', fragment('error', input.error))
        break
    }
  }
  return args
}

function fragment(field: string, value: unknown): string {
  return `"${field}":${JSON.stringify(value)}`
}
