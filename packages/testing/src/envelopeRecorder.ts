import type { ProgressError, SubscribeOptions } from '@docspasta/progress-core'
import { isTerminalEnvelope, type ProgressEnvelope } from '@docspasta/progress-core'

interface Waiter {
  predicate: () => boolean
  resolve: () => void
  reject: (error: Error) => void
  timer: ReturnType<typeof setTimeout>
}

/**
 * Records what one subscription receives and lets a test wait for a condition, decided by the
 * arriving envelopes rather than by sleeping.
 */
export class EnvelopeRecorder {
  readonly envelopes: ProgressEnvelope[] = []
  readonly errors: ProgressError[] = []
  readonly #waiters = new Set<Waiter>()

  readonly handler = (envelope: ProgressEnvelope): void => {
    this.envelopes.push(envelope)
    this.#check()
  }

  readonly onError = (error: ProgressError): void => {
    this.errors.push(error)
    this.#check()
  }

  /** Subscribe options wired to this recorder. */
  options(position: Omit<SubscribeOptions, 'onError'> = {}): SubscribeOptions {
    return { ...position, onError: this.onError }
  }

  /** The seqs of every non-snapshot envelope, in arrival order. */
  get seqs(): number[] {
    return this.envelopes.filter((e) => e.type !== 'snapshot').map((e) => e.seq)
  }

  get lastSeq(): number {
    return this.envelopes.at(-1)?.seq ?? -1
  }

  get terminals(): ProgressEnvelope[] {
    return this.envelopes.filter(isTerminalEnvelope)
  }

  /** Resolves once `predicate` holds; rejects after `timeoutMs` with what was received. */
  waitFor(predicate: () => boolean, timeoutMs = 15_000): Promise<void> {
    if (predicate()) return Promise.resolve()
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        predicate,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#waiters.delete(waiter)
          const last = this.envelopes.at(-1)
          reject(
            new Error(
              `timed out after ${timeoutMs} ms with ${this.envelopes.length} envelopes (last seq ${last?.seq}, type ${last?.type}) and ${this.errors.length} errors`,
            ),
          )
        }, timeoutMs),
      }
      this.#waiters.add(waiter)
    })
  }

  waitForSeq(seq: number, timeoutMs?: number): Promise<void> {
    return this.waitFor(() => this.lastSeq >= seq, timeoutMs)
  }

  waitForTerminal(timeoutMs?: number): Promise<void> {
    return this.waitFor(() => this.terminals.length > 0, timeoutMs)
  }

  waitForError(timeoutMs?: number): Promise<void> {
    return this.waitFor(() => this.errors.length > 0, timeoutMs)
  }

  #check(): void {
    for (const waiter of this.#waiters) {
      if (!waiter.predicate()) continue
      clearTimeout(waiter.timer)
      this.#waiters.delete(waiter)
      waiter.resolve()
    }
  }
}
