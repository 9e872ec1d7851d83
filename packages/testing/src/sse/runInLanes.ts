/** Runs `task` `count` times, at most `lanes` at once, each lane starting its next when done. */
export async function runInLanes(
  count: number,
  lanes: number,
  task: () => Promise<void>,
): Promise<void> {
  let started = 0
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (started < count) {
        started += 1
        await task()
      }
    }),
  )
}
