import { setImmediate as nextTurn } from 'node:timers/promises'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

/**
 * Runs full garbage collections with event-loop turns between them (finalizers of web streams
 * and requests run asynchronously and free more on the next pass), so heap figures compare
 * live objects only.
 */
export async function forceGc(): Promise<void> {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  for (let pass = 0; pass < 3; pass++) {
    gc()
    await nextTurn()
  }
}
