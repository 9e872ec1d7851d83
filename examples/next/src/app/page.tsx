import { CrawlDemo } from '@/components/crawlDemo'

export default function HomePage() {
  return (
    <main>
      <h1>Crawl progress over Server-Sent Events</h1>
      <p className="lead">
        Each button starts a simulated crawl with <code>POST /api/crawls</code>. The page follows
        its stream with <code>useProgress</code>, which resumes from the last event it received
        after a dropped connection.
      </p>
      <CrawlDemo />
    </main>
  )
}
