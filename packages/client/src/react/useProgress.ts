import {
  initialProgressState,
  type ProgressClientError,
  type ProgressClientStatus,
  type ProgressState,
  reduceProgress,
  type SubscribeProgressOptions,
  subscribeProgress,
} from '@docspasta/progress-client'
import { useEffect, useRef, useState } from 'react'

/**
 * subscribeProgress's options, but those the hook owns: its lifetime is the component's (no
 * `signal`), and `status` and `retryAt` in its result stand for `onStatus` and `onRetry`.
 * `onEvent` and `onError` are always the latest ones passed; every other option is read when a
 * subscription starts, so a change applies from the next one (a url change).
 */
export interface UseProgressOptions
  extends Omit<SubscribeProgressOptions, 'signal' | 'onStatus' | 'onRetry'> {}

export interface UseProgressResult {
  /**
   * reduceProgress over every envelope received (initialProgressState before any, and while url
   * is null).
   */
  state: ProgressState
  /**
   * 'idle' while url is null/undefined; else the subscription's status
   * (connecting/open/reconnecting/paused/closed).
   */
  status: 'idle' | ProgressClientStatus
  /**
   * The latest error reported (recoverable ones are cleared when a connection opens; a fatal one
   * stays with status 'closed'). null when none.
   */
  error: ProgressClientError | null
  /**
   * Epoch ms when the next reconnect attempt starts, while waiting for it (from subscribeProgress's
   * `onRetry(delayMs)`); null otherwise, and again once the attempt starts. A UI shows
   * "reconnecting in N s".
   */
  retryAt: number | null
}

/** The result, with the url it belongs to: a result of another url is never shown. */
interface Snapshot extends UseProgressResult {
  url: string | null
}

/** setTimeout's longest delay (subscribeProgress caps its waits the same way). */
const MAX_TIMER_MS = 2 ** 31 - 1

function startOf(url: string | null): Snapshot {
  const status = url === null ? 'idle' : 'connecting'
  return { url, state: initialProgressState, status, error: null, retryAt: null }
}

/**
 * Subscribes to a progress stream while the component is mounted and returns its reduced state,
 * the connection's status, the latest error and when the next reconnect starts. A new url
 * (compared by its string value) closes the subscription and starts over from
 * initialProgressState; null or undefined subscribes to nothing ('idle'). StrictMode's double
 * mount opens one connection: the first subscription is closed before its first request. On the
 * server it returns the initial state and subscribes to nothing.
 *
 * @param url - the stream's url, e.g. `progressStreamPath(crawlId)`; null while there is none
 * @param options - subscribeProgress's options, see UseProgressOptions for when they apply
 * @example
 * const { state, status, retryAt } = useProgress(crawlId ? progressStreamPath(crawlId) : null)
 */
export function useProgress(
  url: string | URL | null | undefined,
  options: UseProgressOptions = {},
): UseProgressResult {
  const key = url === null || url === undefined ? null : String(url)
  const [snapshot, setSnapshot] = useState(() => startOf(key))
  // The options of the last committed render: a new object each render must not resubscribe.
  const optionsRef = useRef(options)
  useEffect(() => {
    optionsRef.current = options
  })

  // Another url starts over in this very render, not one render later (React re-renders at once
  // when state is set during render): the previous crawl's totals never show under the new url.
  let current = snapshot
  if (snapshot.url !== key) {
    current = startOf(key)
    setSnapshot(current)
  }

  useEffect(() => {
    if (key === null) return
    // Cleared before close(): a closed subscription (unmount, url change, StrictMode's first
    // mount) updates nothing, not even with the 'closed' status close() reports.
    let active = true
    let retryTimer: ReturnType<typeof setTimeout> | undefined
    /** Applies a change to this url's snapshot; a change that returns undefined keeps it. */
    const update = (change: (base: Snapshot) => Partial<UseProgressResult> | undefined) => {
      if (!active) return
      setSnapshot((previous) => {
        const base = previous.url === key ? previous : startOf(key)
        const patch = change(base)
        return patch ? { ...base, ...patch } : base
      })
    }
    const subscription = subscribeProgress(key, {
      ...optionsRef.current,
      onEvent: (envelope) => {
        if (!active) return
        update(({ state }) => {
          const next = reduceProgress(state, envelope)
          return next === state ? undefined : { state: next }
        })
        optionsRef.current.onEvent?.(envelope)
      },
      onStatus: (status) => {
        if (status !== 'reconnecting') clearTimeout(retryTimer)
        update((base) => {
          if (base.status === status) return undefined
          if (status === 'reconnecting') return { status }
          // An open connection ends the problems reported before it.
          return status === 'open'
            ? { status, error: null, retryAt: null }
            : { status, retryAt: null }
        })
      },
      onRetry: (delayMs) => {
        const retryAt = Date.now() + delayMs
        clearTimeout(retryTimer)
        // The wait ends as the attempt starts: "reconnecting in N s" is over then.
        retryTimer = setTimeout(
          () => update((base) => (base.retryAt === retryAt ? { retryAt: null } : undefined)),
          Math.min(delayMs, MAX_TIMER_MS),
        )
        update(() => ({ retryAt }))
      },
      onError: (error) => {
        if (!active) return
        update(() => ({ error }))
        optionsRef.current.onError?.(error)
      },
    })
    return () => {
      active = false
      clearTimeout(retryTimer)
      subscription.close()
    }
  }, [key])

  const { state, status, error, retryAt } = current
  return { state, status, error, retryAt }
}
