/**
 * Worker-thread body of scoreDirectories: scores the series it is sent, one at a time, and
 * answers with the result or the error (an ImageError with its file and problem).
 */
import { serveTasks } from '@spider-bench/threads'
import { ImageError } from './image/types.ts'
import { scoreSeriesFiles, type SeriesFiles } from './score-series-files.ts'

serveTasks(
  (task: SeriesFiles) => scoreSeriesFiles(task),
  (err) =>
    err instanceof ImageError
      ? { name: 'ImageError', message: err.message, details: { file: err.file, problem: err.problem } }
      : { name: err instanceof Error ? err.name : 'Error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) },
)
