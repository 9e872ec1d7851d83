/** A push-to-pull bridge: values pushed by the connection, pulled by `for await`. */
export class AsyncQueue<T> implements AsyncIterable<T> {
  readonly #values: T[] = []
  /** Nothing is kept until someone iterates: callback-only users hold no backlog. */
  #iterating = false
  readonly #onReturn: () => void

  /** @param onReturn - called when a consumer stops early (`break` in `for await`) */
  constructor(onReturn: () => void) {
    this.#onReturn = onReturn
  }
  readonly #waiters: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void }[] =
    []
  #ended = false
  #error: unknown

  push(value: T): void {
    if (!this.#iterating) return
    const waiter = this.#waiters.shift()
    if (waiter) waiter.resolve({ value, done: false })
    else this.#values.push(value)
  }

  /** Ends iteration after the queued values; with an error, the iterator throws it. */
  end(error?: unknown): void {
    if (this.#ended) return
    this.#ended = true
    this.#error = error
    for (const waiter of this.#waiters.splice(0)) {
      if (error === undefined) waiter.resolve({ value: undefined, done: true })
      else waiter.reject(error)
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    this.#iterating = true
    return {
      return: () => {
        this.#onReturn()
        return Promise.resolve({ value: undefined, done: true })
      },
      next: () => {
        if (this.#values.length > 0) {
          return Promise.resolve({ value: this.#values.shift() as T, done: false })
        }
        if (this.#ended) {
          return this.#error === undefined
            ? Promise.resolve({ value: undefined, done: true })
            : Promise.reject(this.#error)
        }
        return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }))
      },
    }
  }
}
