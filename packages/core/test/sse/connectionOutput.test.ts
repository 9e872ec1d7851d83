import { MemoryProgressService, type ProgressEnvelope } from '@docspasta/progress-core'
import { afterEach, beforeEach, expect, it, vi } from 'vitest'
import type { ConnectionOutput } from '../../src/sse/connectionOutput.js'
import {
  type ConnectionEnd,
  ProgressConnection,
  resolveStreamTuning,
  streamPreamble,
} from '../../src/sse/progressConnection.js'
import { encodeEnvelope } from '../../src/sse/sseEncoding.js'

// The push path every Node connection takes, driven with fake timers and an output that records
// what it was handed: the fast path writes the shared bytes themselves, a full output makes the
// connection queue until resume(), and the flush deadline holds when busy.
beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

/** An output that records each chunk it is handed, as the object it was given. */
function recordingOutput() {
  const chunks: Uint8Array[] = []
  const state = { writable: true, ended: false, aborted: undefined as Error | undefined }
  const output: ConnectionOutput = {
    reportsClose: true,
    write(chunk) {
      chunks.push(chunk)
      return state.writable
    },
    writeQueued(queue) {
      return queue.writeEach((chunk) => {
        chunks.push(chunk)
        return state.writable
      })
    },
    end() {
      state.ended = true
    },
    abort(error) {
      state.aborted = error
    },
  }
  return { output, chunks, state }
}

async function openConnection(
  service: MemoryProgressService,
  crawlId: string,
  arrivalOf: () => number = Date.now,
) {
  const tuning = resolveStreamTuning({ maxLatencyMs: 100, heartbeatMs: 60_000 })
  const encoded = new Map<number, Uint8Array>()
  const ends: ConnectionEnd[] = []
  const timers = { held: 0 }
  const connection = new ProgressConnection(
    service,
    crawlId,
    { tuning, preamble: streamPreamble(tuning) },
    {
      encode: encodeEnvelope,
      prepare: (envelope: ProgressEnvelope) => {
        const bytes = encodeEnvelope(envelope)
        encoded.set(envelope.seq, bytes)
        return { bytes, at: arrivalOf() }
      },
      onClosed: (_connection, reason) => ends.push(reason),
      onError: (error) => {
        throw error
      },
      onTimers: (delta) => {
        timers.held += delta
      },
    },
  )
  await connection.open(undefined)
  return { connection, encoded, ends, timers }
}

it('writes each envelope as the shared encoded bytes when the output is ready and idle', async () => {
  const service = new MemoryProgressService()
  await service.start('shared')
  const { connection, encoded } = await openConnection(service, 'shared')
  const { output, chunks } = recordingOutput()
  connection.attach(output, { writable: true })
  expect(chunks).toHaveLength(2) // retry:, the snapshot
  expect(chunks[1]).toBe(encoded.get(0))

  await vi.advanceTimersByTimeAsync(100)
  await service.increment('shared', { processed: 1 })
  // At once, without a timer, and the very bytes the encoder made: no copy per connection.
  expect(chunks).toHaveLength(3)
  expect(chunks[2]).toBe(encoded.get(1))
  connection.close()
  await service.close()
})

it('queues while the output is full and writes the queue, uncopied and in order, on resume() (no backpressure)', async () => {
  const service = new MemoryProgressService()
  await service.start('full')
  const { connection, encoded, timers } = await openConnection(service, 'full')
  const { output, chunks, state } = recordingOutput()
  connection.attach(output, { writable: true })
  await vi.advanceTimersByTimeAsync(100)

  state.writable = false
  await service.increment('full', { processed: 1 }) // taken, but the output is now full
  for (let i = 0; i < 5; i++) await service.increment('full', { processed: 1 })
  await vi.advanceTimersByTimeAsync(1_000)
  expect(chunks).toHaveLength(3)
  expect(connection.queuedBytes).toBeGreaterThan(0)
  expect(timers.held).toBe(1) // the heartbeat only: no flush timer while nobody can take bytes

  state.writable = true
  connection.resume()
  expect(chunks.slice(3)).toEqual([2, 3, 4, 5, 6].map((seq) => encoded.get(seq)))
  for (const [index, seq] of [2, 3, 4, 5, 6].entries()) {
    expect(chunks[3 + index]).toBe(encoded.get(seq))
  }
  expect(connection.queuedBytes).toBe(0)
  connection.close()
  expect(timers.held).toBe(0)
  await service.close()
})

it('holds a busy stream to one write per maxLatencyMs, and sends the terminal at once (fixed throttle)', async () => {
  const service = new MemoryProgressService()
  await service.start('busy')
  const { connection, ends, timers } = await openConnection(service, 'busy')
  const { output, chunks, state } = recordingOutput()
  connection.attach(output, { writable: true })
  await vi.advanceTimersByTimeAsync(100)

  await service.increment('busy', { processed: 1 }) // idle: at once
  for (let i = 0; i < 9; i++) await service.increment('busy', { processed: 1 })
  expect(chunks).toHaveLength(3)
  await vi.advanceTimersByTimeAsync(99)
  expect(chunks).toHaveLength(3)
  await vi.advanceTimersByTimeAsync(1)
  expect(chunks).toHaveLength(12) // the nine, written together at the deadline

  // The terminal does not wait for the deadline: it goes out with what is queued, and ends.
  await service.increment('busy', { processed: 1 })
  await service.complete('busy', {})
  expect(chunks).toHaveLength(14)
  expect(ends).toEqual(['terminal'])
  expect(state.ended).toBe(true)
  expect(timers.held).toBe(0)
  await service.close()
})

it("paces a stream by its envelopes' arrival, not by when a long fan-out reached this connection", async () => {
  const service = new MemoryProgressService()
  await service.start('fan-out')
  // The server had each envelope at `arrival`; this connection, last of a long fan-out, gets it
  // 40 ms later.
  let arrival = Date.now()
  const { connection, encoded } = await openConnection(service, 'fan-out', () => arrival)
  const { output, chunks } = recordingOutput()
  connection.attach(output, { writable: true })
  await vi.advanceTimersByTimeAsync(100)

  arrival = Date.now()
  await vi.advanceTimersByTimeAsync(40)
  await service.increment('fan-out', { processed: 1 })
  expect(chunks.at(-1)).toBe(encoded.get(1))
  // The next arrives maxLatencyMs (100) after it: written at once, though this connection wrote
  // the last only 60 ms ago.
  arrival += 100
  await vi.advanceTimersByTimeAsync(60)
  await service.increment('fan-out', { processed: 1 })
  expect(chunks.at(-1)).toBe(encoded.get(2))
  connection.close()
  await service.close()
})
