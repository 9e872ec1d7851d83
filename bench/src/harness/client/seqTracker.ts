// Seq accounting of one connection. Every connection opens before the first publish, so it
// expects seq 1 next (after the SDK's snapshot at seq 0). Then:
// - seq == last + 1: in order;
// - seq <= last: duplicated (a seq seen again, or one that went backwards);
// - seq > last + 1 on a `coalesced: true` envelope: the skipped seqs are accounted for by it
//   (the server merged them for a slow reader), counted as `coalescedSeqs`, not lost;
// - seq > last + 1 on a `snapshot` with `resync: true`: accounted for too (`resyncSeqs`);
// - seq > last + 1 otherwise: the skipped seqs are lost.
// After the publisher stopped, a connection that never reached its crawl's last seq lost the rest.

export interface SeqCounts {
  lost: number
  duplicated: number
  coalescedSeqs: number
  coalescedEnvelopes: number
  resyncSeqs: number
}

export function emptySeqCounts(): SeqCounts {
  return { lost: 0, duplicated: 0, coalescedSeqs: 0, coalescedEnvelopes: 0, resyncSeqs: 0 }
}

export class SeqTracker {
  lastSeq = 0

  constructor(private readonly counts: SeqCounts) {}

  accept(seq: number, type: string, coalesced: boolean, resync: boolean): void {
    if (type === 'snapshot') {
      if (seq > this.lastSeq) {
        if (resync) this.counts.resyncSeqs += seq - this.lastSeq
        else this.counts.lost += seq - this.lastSeq
      }
      this.lastSeq = seq
      return
    }
    if (seq <= this.lastSeq) {
      this.counts.duplicated += 1
      return
    }
    const skipped = seq - this.lastSeq - 1
    if (coalesced) this.counts.coalescedEnvelopes += 1
    if (skipped > 0) {
      if (coalesced) this.counts.coalescedSeqs += skipped
      else this.counts.lost += skipped
    }
    this.lastSeq = seq
  }

  /** Counts what never arrived of a crawl that ended at `finalSeq`. */
  settle(finalSeq: number): void {
    if (finalSeq > this.lastSeq) this.counts.lost += finalSeq - this.lastSeq
  }
}
