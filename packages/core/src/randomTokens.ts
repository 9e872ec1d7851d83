/** Each byte as two lowercase base-36 characters (an immutable table, built once). */
const BYTE_TOKENS: readonly string[] = Array.from({ length: 256 }, (_, byte) =>
  byte.toString(36).padStart(2, '0'),
)

function toToken(random: Uint8Array, start: number, bytes: number): string {
  let token = ''
  for (let i = start; i < start + bytes; i++) token += BYTE_TOKENS[random[i] as number]
  return token
}

/** A fresh random epoch token: 16 lowercase base-36 characters (64 random bits). */
export function createEpoch(): string {
  const random = new Uint8Array(8)
  globalThis.crypto.getRandomValues(random)
  return toToken(random, 0, 8)
}

/**
 * The random tokens of one service's calls, drawn from a pool of CSPRNG bytes refilled a block
 * at a time: asking the platform per token costs more than the rest of a memory publish.
 */
export class CallTokens {
  readonly #pool = new Uint8Array(1024)
  #offset = this.#pool.length

  /**
   * A call's operation id when the caller gives none (for a backend whose client may re-send a
   * call): 16 base-36 characters (64 random bits), so ids of different calls do not collide
   * within the window a crawl remembers them for.
   */
  operationId(): string {
    return this.#take(8)
  }

  /** A call's tag, from which its envelopes' tags derive: 10 characters (40 random bits). */
  tag(): string {
    return this.#take(5)
  }

  #take(bytes: number): string {
    if (this.#offset + bytes > this.#pool.length) {
      globalThis.crypto.getRandomValues(this.#pool)
      this.#offset = 0
    }
    const token = toToken(this.#pool, this.#offset, bytes)
    this.#offset += bytes
    return token
  }
}
