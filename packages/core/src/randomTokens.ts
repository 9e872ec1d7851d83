/** `bytes` random bytes from the platform's CSPRNG as lowercase base-36, two characters each. */
function randomToken(bytes: number): string {
  const random = new Uint8Array(bytes)
  globalThis.crypto.getRandomValues(random)
  let token = ''
  for (const byte of random) token += byte.toString(36).padStart(2, '0')
  return token
}

/** A fresh random epoch token: 16 lowercase base-36 characters (64 random bits). */
export function createEpoch(): string {
  return randomToken(8)
}

/**
 * A call's operation id when the caller gives none: 16 base-36 characters (64 random bits), so
 * ids of different calls do not collide within the window a crawl remembers them for.
 */
export function createOperationId(): string {
  return randomToken(8)
}

/**
 * The tag of one call's envelopes: 10 base-36 characters (40 random bits). With epoch and seq
 * it is the envelope's identity, which tells an event apart from another that a store restored
 * from older data later gave the same seq.
 */
export function createEventTag(): string {
  return randomToken(5)
}
