import { runLanes, siblingModule, ThreadExitError, ThreadPool, ThreadTaskError } from '@spider-bench/threads'
import { runSeriesJob, type SeriesJob, type SeriesOutcome } from './series-job.ts'

/**
 * In the calling thread, two jobs at a time: the next series is generated while the previous
 * one's files are compressed and written (bounded memory: at most two series in flight).
 */
export function runJobsInThread(jobs: readonly SeriesJob[], done: (o: SeriesOutcome) => void): Promise<SeriesOutcome[]> {
  const lane = async (job: SeriesJob) => {
    // Yield first so the other lane's writes get going before this generation blocks.
    await new Promise((r) => setImmediate(r))
    return runSeriesJob(job)
  }
  return runLanes(jobs, [lane, lane], done)
}

const WORKER_BODY = siblingModule('./synth-worker.ts', import.meta.url)

/** On `threads` worker threads, one job per thread at a time; results in job order. */
export async function runJobsOnWorkers(
  jobs: readonly SeriesJob[],
  threads: number,
  done: (o: SeriesOutcome) => void,
): Promise<SeriesOutcome[]> {
  const pool = new ThreadPool<SeriesJob, SeriesOutcome>({ module: WORKER_BODY, size: threads })
  const onWorker = (job: SeriesJob) =>
    pool.run(job).catch((err: unknown) => {
      if (err instanceof ThreadTaskError) throw new Error(`generating ${job.name} failed: ${err.message}`)
      if (err instanceof ThreadExitError) throw new Error(`a synth worker exited unexpectedly (${err.reason})`)
      throw err
    })
  try {
    return await runLanes(
      jobs,
      Array.from({ length: threads }, () => onWorker),
      done,
    )
  } finally {
    void pool.close()
  }
}
