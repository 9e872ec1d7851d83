/** A progress bar with its percent. */
export function ProgressBar({ percent }: { percent: number }) {
  return (
    <div className="bar-row">
      <div
        className="bar"
        role="progressbar"
        aria-label="Crawl progress"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
      >
        <div className="bar-fill" style={{ width: `${percent}%` }} />
      </div>
      <span className="percent" id="percent">
        {percent} %
      </span>
    </div>
  )
}
