import { childArgs, serveCommands } from '../process/childCommands.js'
import { waitFor } from '../process/waitFor.js'
import type { PublishSchedule } from '../schedule.js'
import type { HistogramData } from '../stats/latencyHistogram.js'
import { FrameStats } from './frameStats.js'
import type { SeqCounts } from './seqTracker.js'
import { SseConnection } from './sseConnection.js'

// A client process: holds its share of the connections, counts frames, checks seqs and measures
// latency. The runner drives it with the commands below.

/** However slowly a backlog drains, a run does not wait for it longer than this. */
const DRAIN_HARD_CAP_MS = 180_000

export interface ClientArgs {
  /** How many connects may wait for their first bytes at once: paces the connect burst. */
  connectConcurrency: number
}

export interface OpenArgs {
  port: number
  /** One entry per connection: the crawl index and the stream path. */
  targets: { crawl: number; path: string }[]
}

export interface OpenResult {
  opened: number
  failed: number
  firstFailure: string | undefined
  ms: number
}

export interface WindowEnd {
  frames: number
  publishLatency: HistogramData
  scheduleLag: HistogramData
}

export interface DrainResult extends SeqCounts {
  frames: number
  badFrames: number
  /** Connections that ended before the runner closed them. */
  dropped: number
  /** Whether every connection reached its crawl's last seq before the timeout. */
  drained: boolean
}

async function main(): Promise<void> {
  const args = childArgs<ClientArgs>()
  let stats = new FrameStats()
  let connections: SseConnection[] = []

  const open = async ({ port, targets }: OpenArgs): Promise<OpenResult> => {
    const started = Date.now()
    const opened = targets.map(({ crawl }) => new SseConnection(crawl, stats))
    connections = connections.concat(opened)
    let next = 0
    const worker = async () => {
      while (next < targets.length) {
        const index = next++
        await (opened[index] as SseConnection).open(
          port,
          (targets[index] as OpenArgs['targets'][number]).path,
        )
      }
    }
    await Promise.all(Array.from({ length: args.connectConcurrency }, worker))
    const failures = opened.filter((connection) => connection.failed !== undefined)
    return {
      opened: opened.length - failures.length,
      failed: failures.length,
      firstFailure: failures[0]?.failed,
      ms: Date.now() - started,
    }
  }

  const drain = async ({ finalSeqs, timeoutMs }: { finalSeqs: number[]; timeoutMs: number }) => {
    const reached = (connection: SseConnection) =>
      connection.tracker.lastSeq >= (finalSeqs[connection.crawl] ?? 0)
    // A slow server still delivering its backlog is slow, not lossy: keep waiting while frames
    // arrive, and give up only after `timeoutMs` without a frame (or at the hard cap).
    let lastFrames = stats.frames
    let lastProgress = Date.now()
    const drained = await waitFor(() => {
      if (connections.every((c) => c.ended || reached(c))) return true
      if (stats.frames !== lastFrames) {
        lastFrames = stats.frames
        lastProgress = Date.now()
      }
      return Date.now() - lastProgress > timeoutMs
    }, DRAIN_HARD_CAP_MS).then((done) => done && connections.every((c) => c.ended || reached(c)))
    for (const connection of connections) {
      connection.tracker.settle(finalSeqs[connection.crawl] ?? 0)
    }
    const result: DrainResult = {
      ...stats.seq,
      frames: stats.frames,
      badFrames: stats.badFrames,
      dropped: connections.filter((connection) => connection.ended).length,
      drained,
    }
    return result
  }

  serveCommands(
    {
      ready: () => true,
      open: (openArgs) => open(openArgs as OpenArgs),
      setSchedule: (schedule) => stats.setSchedule(schedule as PublishSchedule),
      startWindow: () => {
        stats.startWindow()
        return stats.frames
      },
      endWindow: (): WindowEnd => {
        stats.endWindow()
        return {
          frames: stats.frames,
          publishLatency: stats.publishLatency.toData(),
          scheduleLag: stats.scheduleLag.toData(),
        }
      },
      drain: (drainArgs) => drain(drainArgs as { finalSeqs: number[]; timeoutMs: number }),
      closeAll: () => {
        for (const connection of connections) connection.close()
        connections = []
      },
      // Between runs: no connection and no count survives into the next one.
      reset: () => {
        for (const connection of connections) connection.close()
        connections = []
        stats = new FrameStats()
      },
    },
    async () => {
      for (const connection of connections) connection.close()
    },
  )
}

await main()
