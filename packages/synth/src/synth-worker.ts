/**
 * Worker-thread body of synthesize: runs the series jobs it is sent, one at a time, and
 * answers with the outcome or the error.
 */
import { serveTasks } from '@spider-bench/threads'
import { runSeriesJob, type SeriesJob } from './series-job.ts'

serveTasks(
  (job: SeriesJob) => runSeriesJob(job),
  (err) => ({ name: err instanceof Error ? err.name : 'Error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
)
