import { describe, expect, it } from 'vitest'
import { hashSlot } from '../../src/hashSlot.js'

describe('hashSlot', () => {
  it('is CRC16 (XMODEM) modulo 16384 of the hash tag, or of the whole name without one', () => {
    // 0x31C3 is the CRC16/XMODEM check value of "123456789".
    expect(hashSlot('123456789')).toBe(0x31c3)
    expect(hashSlot('{123456789}.anything')).toBe(0x31c3)
    expect(hashSlot('a:{123456789}:state')).toBe(hashSlot('a:{123456789}'))
    // An empty tag does not count, nor does a later one: the whole name is hashed.
    expect(hashSlot('x{}y')).not.toBe(hashSlot(''))
    expect(hashSlot('x{}{123456789}')).not.toBe(0x31c3)
    // Against Redis itself: integration/cluster.test.ts compares it with CLUSTER KEYSLOT.
    for (let i = 0; i < 100; i++) {
      const slot = hashSlot(`crawl-${i}`)
      expect(slot).toBeGreaterThanOrEqual(0)
      expect(slot).toBeLessThan(16384)
    }
  })
})
