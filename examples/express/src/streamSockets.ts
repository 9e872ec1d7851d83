import type { ServerResponse } from 'node:http'

/** This server's open streams by crawl, so that the page can have its connections cut. */
export class StreamSockets {
  readonly #byCrawl = new Map<string, Set<ServerResponse>>()

  add(crawlId: string, res: ServerResponse): void {
    let responses = this.#byCrawl.get(crawlId)
    if (!responses) {
      responses = new Set()
      this.#byCrawl.set(crawlId, responses)
    }
    responses.add(res)
    res.once('close', () => {
      responses.delete(res)
      if (responses.size === 0 && this.#byCrawl.get(crawlId) === responses) {
        this.#byCrawl.delete(crawlId)
      }
    })
  }

  /** Destroys the sockets of the crawl's streams, as a network drop would: no end, no terminal. */
  cut(crawlId: string): number {
    const responses = [...(this.#byCrawl.get(crawlId) ?? [])]
    for (const res of responses) res.socket?.destroy()
    return responses.length
  }
}
