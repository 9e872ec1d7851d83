import type { FaultStep } from './faultServer.js'
import { completeEnvelope, progressEnvelope, snapshotEnvelope, sseMessage } from './sseText.js'

/** A script, what the client must deliver, and the Last-Event-ID of every request it must make. */
export interface Scenario {
  steps: FaultStep[]
  delivered: string[]
  lastEventIds: (string | undefined)[]
}

const label = (epoch: string, seq: number, type: string) => `${type}:${epoch}:${seq}`

/**
 * Every fault in one stream: a drop mid-event, 500, 503 with Retry-After, 429, CRLF / CR / LF
 * line endings, a duplicate, an old seq, a gap, multi-line data, a stall, then a new epoch.
 *
 * @param firstCut - how the first stream ends mid-event: the server drops it (`drop`), or it
 *   stalls until the client's watchdog cuts it (`stall`). A browser may discard bytes it had
 *   received but not yet read when a response fails, so a browser test that must see every
 *   byte of that stream cuts it from the client side.
 */
export function gauntletScenario(firstCut: 'drop' | 'stall' = 'drop'): Scenario {
  const p3 = sseMessage(progressEnvelope('e1', 3))
  return {
    steps: [
      {
        kind: 'stream',
        chunks: [
          'retry: 50\n\n',
          sseMessage(snapshotEnvelope('e1', 0)),
          sseMessage(progressEnvelope('e1', 1)),
          sseMessage(progressEnvelope('e1', 2)),
          p3.slice(0, Math.floor(p3.length / 2)),
        ],
        after: firstCut,
      },
      { kind: 'status', status: 500, body: 'boom' },
      { kind: 'status', status: 503, headers: { 'Retry-After': '1' } },
      { kind: 'status', status: 429 },
      {
        kind: 'stream',
        chunks: [
          sseMessage(progressEnvelope('e1', 3), { eol: '\r\n' }),
          sseMessage(progressEnvelope('e1', 4), { eol: '\r' }),
          sseMessage(progressEnvelope('e1', 4)),
          sseMessage(progressEnvelope('e1', 2)),
          sseMessage(progressEnvelope('e1', 6)),
        ],
        after: 'stall',
      },
      {
        kind: 'stream',
        chunks: [sseMessage(progressEnvelope('e1', 5), { multiline: true })],
        after: 'stall',
      },
      {
        kind: 'stream',
        chunks: [
          sseMessage(snapshotEnvelope('e2', 3, true)),
          sseMessage(progressEnvelope('e2', 4), { eol: '\r\n' }),
          sseMessage(completeEnvelope('e2', 5)),
        ],
        after: 'stall',
      },
    ],
    delivered: [
      label('e1', 0, 'snapshot'),
      ...[1, 2, 3, 4, 5].map((seq) => label('e1', seq, 'progress')),
      label('e2', 3, 'snapshot'),
      label('e2', 4, 'progress'),
      label('e2', 5, 'complete'),
    ],
    lastEventIds: [undefined, 'e1:2', 'e1:2', 'e1:2', 'e1:2', 'e1:4', 'e1:5'],
  }
}

/** Answers after which the client must give up at once, with the error code it reports. */
export const fatalScenarios: { name: string; step: FaultStep; code: string; status?: number }[] = [
  { name: 'unauthorized', step: { kind: 'status', status: 401 }, code: 'http-status', status: 401 },
  { name: 'not-found', step: { kind: 'status', status: 404 }, code: 'http-status', status: 404 },
  { name: 'no-content', step: { kind: 'status', status: 204 }, code: 'no-content', status: 204 },
  {
    name: 'wrong-type',
    step: {
      kind: 'status',
      status: 200,
      headers: { 'Content-Type': 'text/html' },
      body: '<p>hi</p>',
    },
    code: 'content-type',
  },
]

export function describeEnvelope(envelope: { type: string; epoch: string; seq: number }): string {
  return label(envelope.epoch, envelope.seq, envelope.type)
}
