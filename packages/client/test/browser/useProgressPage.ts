// The page of useProgress.test.ts, bundled by esbuild with React's development build (the one
// whose StrictMode mounts twice): it renders the hook and records every result React commits,
// for the test to read through `window.hookPage`.
import { type UseProgressResult, useProgress } from '@docspasta/progress-client/react'
import { createElement, StrictMode, useEffect, useRef } from 'react'
import { createRoot, type Root } from 'react-dom/client'

/** One committed result of the hook, as plain data. */
export interface CommittedResult {
  /** The url the hook was given (a URL object as its href). */
  url: string | null
  status: UseProgressResult['status']
  crawlId: string | null
  crawlStatus: UseProgressResult['state']['status']
  totals: { discovered: number; processed: number; failed: number }
  error: { code: string; status: number | undefined; fatal: boolean } | null
  retryAt: number | null
  /** Date.now() when React committed it. */
  at: number
}

export interface RenderOptions {
  /** Render inside <StrictMode>. */
  strict?: boolean
  /** Pass a new URL object (same href) instead of the string. */
  asUrlObject?: boolean
}

export interface HookPage {
  render(url: string | null, options?: RenderOptions): void
  unmount(): void
  results: CommittedResult[]
  /** Mount effects of the component: 2 when StrictMode mounted it twice. */
  mounts: number
  /** Each envelope given to onEvent, with the number of the render that created that callback. */
  events: { seq: number; render: number }[]
  /** The reasons of unhandled promise rejections. */
  unhandled: string[]
}

const page: HookPage = {
  render,
  unmount,
  results: [],
  mounts: 0,
  events: [],
  unhandled: [],
}
;(window as unknown as { hookPage: HookPage }).hookPage = page
window.addEventListener('unhandledrejection', (event) => page.unhandled.push(String(event.reason)))

let root: Root | undefined

function render(url: string | null, options: RenderOptions = {}): void {
  const container = document.getElementById('root')
  if (!container) throw new Error('the page has no #root')
  root ??= createRoot(container)
  const target = options.asUrlObject && url !== null ? new URL(url, location.href) : url
  const probe = createElement(Probe, { url: target })
  root.render(options.strict ? createElement(StrictMode, null, probe) : probe)
}

function unmount(): void {
  root?.unmount()
  root = undefined
}

function Probe({ url }: { url: string | URL | null }) {
  const renders = useRef(0)
  renders.current += 1
  const renderNumber = renders.current
  // A new options object and a new callback every render, as an inline literal is.
  const result = useProgress(url, {
    onEvent: (envelope) => page.events.push({ seq: envelope.seq, render: renderNumber }),
  })
  useEffect(() => {
    page.mounts += 1
  }, [])
  // Every commit, with what the hook returned in it.
  useEffect(() => {
    const { state, status, error, retryAt } = result
    page.results.push({
      url: url === null ? null : String(url),
      status,
      crawlId: state.crawlId,
      crawlStatus: state.status,
      totals: { ...state.totals },
      error: error && { code: error.code, status: error.status, fatal: error.fatal },
      retryAt,
      at: Date.now(),
    })
  })
  return createElement('output', null, result.status)
}
