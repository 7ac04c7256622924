/**
 * Worker-thread entry of scoreDirectories: scores the series it is sent, one at a time,
 * and answers with the result or the error.
 */
import { parentPort } from 'node:worker_threads'
import { ImageError } from './image/types.ts'
import { scoreSeriesFiles, type SeriesFiles } from './score-series-files.ts'
import type { WorkerReply } from './worker-messages.ts'

const port = parentPort
if (!port) throw new Error('score-worker.ts must run in a worker thread')

port.on('message', (task: SeriesFiles & { id: number }) => {
  scoreSeriesFiles(task).then(
    (result) => port.postMessage({ id: task.id, result } satisfies WorkerReply),
    (err: unknown) => {
      const error =
        err instanceof ImageError
          ? { imageError: true, file: err.file, problem: err.problem, message: err.message }
          : { imageError: false, message: err instanceof Error ? (err.stack ?? err.message) : String(err) }
      port.postMessage({ id: task.id, error } satisfies WorkerReply)
    },
  )
})
