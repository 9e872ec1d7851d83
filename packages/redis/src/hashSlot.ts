/**
 * The Redis Cluster hash slot of a key or channel: CRC16 (XMODEM) of its hash tag (the part
 * between the first `{` and the next `}`, when not empty) or of the whole name, modulo 16384.
 */
export function hashSlot(name: string): number {
  const open = name.indexOf('{')
  const close = open < 0 ? -1 : name.indexOf('}', open + 1)
  const hashed = close > open + 1 ? name.slice(open + 1, close) : name
  let crc = 0
  for (const byte of new TextEncoder().encode(hashed)) {
    crc ^= byte << 8
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff
    }
  }
  return crc % 16384
}
