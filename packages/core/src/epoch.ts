/** A fresh random epoch token: 16 lowercase base-36 characters from the platform's CSPRNG. */
export function createEpoch(): string {
  const bytes = new Uint8Array(8)
  globalThis.crypto.getRandomValues(bytes)
  return Array.from(bytes, (byte) => byte.toString(36).padStart(2, '0')).join('')
}
