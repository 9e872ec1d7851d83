/**
 * Runs `act` on sessionStorage with the `resumeKey` option, when there is a key and a storage.
 *
 * Storage can be missing (Node, workers) or throw on any access (a sandboxed iframe, Safari's
 * private mode, a full quota). The stored position is an optimisation, not a guarantee: without
 * it a reloaded page starts from a snapshot, exactly as without `resumeKey`, and misses nothing.
 * So a failure here is not an error of the subscription and is deliberately not reported.
 */
export function withResumeStorage<T>(
  resumeKey: string | undefined,
  act: (storage: Storage, key: string) => T,
): T | undefined {
  if (resumeKey === undefined) return undefined
  try {
    const storage = globalThis.sessionStorage
    return storage ? act(storage, resumeKey) : undefined
  } catch {
    return undefined
  }
}
