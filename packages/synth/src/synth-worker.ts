/**
 * Worker-thread entry of synthesize: runs the series jobs it is sent, one at a time, and
 * answers with the outcome or the error.
 */
import { parentPort } from 'node:worker_threads'
import { runSeriesJob, type SeriesJob, type SeriesOutcome } from './series-job.ts'

export type SynthWorkerReply = { readonly id: number; readonly outcome: SeriesOutcome } | { readonly id: number; readonly error: string }

const port = parentPort
if (!port) throw new Error('synth-worker.ts must run in a worker thread')

port.on('message', (job: SeriesJob & { id: number }) => {
  runSeriesJob(job).then(
    (outcome) => port.postMessage({ id: job.id, outcome } satisfies SynthWorkerReply),
    (err: unknown) => port.postMessage({ id: job.id, error: err instanceof Error ? (err.stack ?? err.message) : String(err) } satisfies SynthWorkerReply),
  )
})
