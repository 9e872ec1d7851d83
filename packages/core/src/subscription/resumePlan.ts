import type { EventEnvelope, SnapshotEnvelope } from '../events.js'
import type { ProgressSnapshot, SubscribeOptions } from '../service.js'
import type { OrderedDelivery } from './orderedDelivery.js'

/** What a new subscription receives before live envelopes. */
export type ResumePlan =
  /** Replay the stored envelopes after `afterSeq`, in order. */
  | { kind: 'replay'; afterSeq: number }
  /** Send a snapshot first (`resync` when it replaces a replay that history cannot serve). */
  | { kind: 'snapshot'; resync: boolean }

/**
 * Decides between replay and snapshot, the same way for every backend.
 *
 * @param oldestSeq - the oldest seq history still holds (seq + 1 when history is empty)
 */
export function planResume(
  snapshot: ProgressSnapshot,
  oldestSeq: number,
  options: Pick<SubscribeOptions, 'afterSeq' | 'epoch'>,
): ResumePlan {
  const { afterSeq, epoch } = options
  if (afterSeq === undefined) return { kind: 'snapshot', resync: false }
  if (epoch !== undefined && epoch !== snapshot.epoch) return { kind: 'snapshot', resync: true }
  if (afterSeq > snapshot.seq) return { kind: 'snapshot', resync: true }
  if (afterSeq === snapshot.seq || afterSeq + 1 >= oldestSeq) return { kind: 'replay', afterSeq }
  return { kind: 'snapshot', resync: true }
}

/**
 * The snapshot envelope for a state. For a closed crawl it describes the position just before
 * the terminal envelope (status `running`, seq - 1), and the terminal envelope follows it, so a
 * subscriber still sees the terminal event exactly once and in order.
 */
export function toSnapshotEnvelope(
  snapshot: ProgressSnapshot,
  resync: boolean,
  ts: number,
): SnapshotEnvelope {
  const isClosed = snapshot.terminal !== null
  return {
    v: 1,
    epoch: snapshot.epoch,
    seq: isClosed ? snapshot.seq - 1 : snapshot.seq,
    crawlId: snapshot.crawlId,
    ts,
    type: 'snapshot',
    totals: { ...snapshot.totals },
    status: isClosed ? 'running' : snapshot.status,
    ...(resync ? { resync: true } : {}),
  }
}

/**
 * Starts a subscriber's delivery the same way in every backend: the snapshot (and the terminal
 * envelope of a closed crawl), or the replay after the resume point; then, when the crawl is
 * closed, the subscription ends, also for a subscriber that already held the terminal envelope.
 *
 * @param replay - the stored envelopes after `plan.afterSeq` (ignored for a snapshot plan)
 */
export function applyResume(
  delivery: OrderedDelivery,
  snapshot: ProgressSnapshot,
  plan: ResumePlan,
  replay: readonly EventEnvelope[],
  now: number,
): void {
  if (plan.kind === 'snapshot') {
    const envelope = toSnapshotEnvelope(snapshot, plan.resync, now)
    delivery.offerAll(snapshot.terminal ? [envelope, snapshot.terminal] : [envelope])
  } else {
    delivery.seek(plan.afterSeq)
    delivery.offerAll(replay)
  }
  if (snapshot.terminal) delivery.close()
}
