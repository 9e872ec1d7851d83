import type { ProgressInput } from '../events.js'

/**
 * The per-input ARGV values of publish-4.lua for validated inputs: per input its type, the three
 * counter increments and the payload as a JSON fragment (`"urls":[…]`; for a progress input
 * `"delta":{…}`, or `"delta":{…},"detail":{…}` with a detail). Serializing here, in JS, keeps
 * payloads byte-exact: the script splices the fragment into the envelope without decoding it.
 *
 * @param payloads - payload JSON already serialized (AppendOperation.payloads; for a progress
 *   input, its detail's), reused as is
 */
export function toPublishScriptArgs(
  inputs: readonly ProgressInput[],
  payloads: readonly (string | undefined)[] = [],
): string[] {
  return appendPublishScriptArgs([], inputs, payloads)
}

/**
 * toPublishScriptArgs() appended to `args` (the call's KEYS and leading ARGV), which it returns:
 * the script's whole argument list is built in one array, without copies.
 */
export function appendPublishScriptArgs(
  args: string[],
  inputs: readonly ProgressInput[],
  payloads: readonly (string | undefined)[] = [],
): string[] {
  for (let index = 0; index < inputs.length; index++) {
    const input = inputs[index] as ProgressInput
    const json = payloads[index]
    switch (input.type) {
      case 'discovery':
        args.push(
          'discovery',
          String(input.urls.length),
          '0',
          '0',
          fragment('urls', input.urls, json),
        )
        break
      case 'progress': {
        const { discovered = 0, processed = 0, failed = 0 } = input.delta
        const delta = fragment('delta', input.delta)
        args.push(
          'progress',
          String(discovered),
          String(processed),
          String(failed),
          input.detail === undefined ? delta : `${delta},${fragment('detail', input.detail, json)}`,
        )
        break
      }
      case 'complete':
        args.push('complete', '0', '0', '0', fragment('stats', input.stats, json))
        break
      case 'error':
        args.push('error', '0', '0', '0', fragment('error', input.error, json))
        break
    }
  }
  return args
}

/** `"field":<json>`, from the JSON already serialized when the input was measured, if any. */
function fragment(field: string, value: unknown, json: string | undefined = undefined): string {
  return `"${field}":${json ?? JSON.stringify(value)}`
}
