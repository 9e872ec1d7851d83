import type { EventEnvelope, SnapshotEnvelope } from '../events.js'
import type { ProgressSnapshot, SubscribeOptions } from '../service.js'
import type { OrderedDelivery } from './orderedDelivery.js'

/** What a new subscription receives before live envelopes. */
export type ResumePlan =
  /** Replay the stored envelopes after `afterSeq` (whose event has tag `tag`), in order. */
  | { kind: 'replay'; afterSeq: number; tag: string | undefined }
  /** Send a snapshot first (`resync` when it replaces a replay that history cannot serve). */
  | { kind: 'snapshot'; resync: boolean }

/**
 * Decides between replay and snapshot, the same way for every backend. A position the store
 * cannot vouch for gets a `resync` snapshot, never a silent skip: another epoch, a seq ahead of
 * the store, a tag that differs from the stored event's at that seq (the store came back with
 * older data and gave the seq to another event), or a tagged position history no longer holds.
 *
 * @param oldestSeq - the oldest seq history still holds (seq + 1 when history is empty)
 * @param storedTag - the tag of the event the store holds at `options.afterSeq`, if it holds one
 */
export function planResume(
  snapshot: ProgressSnapshot,
  oldestSeq: number,
  options: Pick<SubscribeOptions, 'afterSeq' | 'epoch' | 'tag'>,
  storedTag: string | undefined,
): ResumePlan {
  const { afterSeq, epoch, tag } = options
  if (afterSeq === undefined) return { kind: 'snapshot', resync: false }
  if (epoch !== undefined && epoch !== snapshot.epoch) return { kind: 'snapshot', resync: true }
  if (afterSeq > snapshot.seq) return { kind: 'snapshot', resync: true }
  if (tag !== undefined && afterSeq > 0 && tag !== storedTag) {
    return { kind: 'snapshot', resync: true }
  }
  if (afterSeq === snapshot.seq || afterSeq + 1 >= oldestSeq) {
    return { kind: 'replay', afterSeq, tag: storedTag }
  }
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
    // Before a terminal the snapshot stands for seq - 1, whose tag the state does not keep.
    ...(!isClosed && snapshot.tag !== undefined ? { tag: snapshot.tag } : {}),
    totals: { ...snapshot.totals },
    status: isClosed ? 'running' : snapshot.status,
    ...(resync ? { resync: true } : {}),
    ...(snapshot.phase !== undefined ? { phase: snapshot.phase } : {}),
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
    delivery.seek(plan.afterSeq, plan.tag)
    delivery.offerAll(replay)
  }
  if (snapshot.terminal) delivery.close()
}
