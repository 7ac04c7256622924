import { availableParallelism } from 'node:os'
import { stat } from 'node:fs/promises'
import { runLanes, siblingModule, ThreadExitError, ThreadPool, ThreadTaskError } from '@spider-bench/threads'
import { buildResultDocument } from './document.ts'
import { ImageError } from './image/types.ts'
import { pairFiles, type SeriesPair } from './pair-files.ts'
import type { ProfileName } from './profiles/profile.ts'
import type { ResultDocument, SeriesResult } from './result.ts'
import { scoreSeriesFiles } from './score-series-files.ts'

export interface ScoreDirectoriesOptions {
  readonly truthDir: string
  readonly predDir: string
  readonly profile?: ProfileName
  /** Threads scoring at once, the calling thread included (it works while the others start); default: all cores. */
  readonly threads?: number
  /**
   * JavaScript heap limit of each worker thread, MB (default 256; the scorer's own heap stays
   * near 10 MB, its typed arrays are bounded by the scorer). The calling thread has none.
   */
  readonly threadMemoryMb?: number
  /** Missing predictions still make error series, but no longer exit code 2. */
  readonly allowMissing?: boolean
  readonly onProgress?: (done: number, total: number, name: string) => void
}

export interface ScoreDirectoriesResult {
  readonly document: ResultDocument
  /** 0: every series scored (or only allowed missing ones failed); 2: some series failed. */
  readonly exitCode: 0 | 2
  /** Prediction files whose base name has no reference (ignored). */
  readonly extraPredictions: string[]
}

/**
 * Scores every reference mask of `truthDir` against the prediction of the same base name in
 * `predDir`, in parallel on worker threads. A reference problem rejects with ImageError.
 */
export async function scoreDirectories(options: ScoreDirectoriesOptions): Promise<ScoreDirectoriesResult> {
  const profile = options.profile ?? 'spider'
  const threads = options.threads ?? availableParallelism()
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be a positive integer, got ${threads}`)
  const memoryMb = options.threadMemoryMb ?? DEFAULT_THREAD_MEMORY_MB
  if (!Number.isInteger(memoryMb) || memoryMb < 1) throw new RangeError(`threadMemoryMb must be a positive integer, got ${memoryMb}`)
  const { pairs, extraPredictions } = await pairFiles(options.truthDir, options.predDir)
  // Largest first, so that a big series does not start last and leave the other threads idle.
  const sizes = new Map(await Promise.all(pairs.map(async (p) => [p.name, (await stat(p.truthPath)).size] as const)))
  const queue = [...pairs].sort((a, b) => (sizes.get(b.name) ?? 0) - (sizes.get(a.name) ?? 0))
  const tasks = queue.map((pair) => ({ ...pair, profile }))
  let done = 0
  const progress = (result: SeriesResult) => options.onProgress?.(++done, tasks.length, result.name)
  const series =
    Math.min(threads, tasks.length) <= 1
      ? await scoreInThisThread(tasks, progress)
      : await scoreOnWorkers(tasks, Math.min(threads, tasks.length), memoryMb, progress)
  const failed = series.filter((s) => s.status === 'error')
  const missingOnly = failed.every((s) => pairs.find((p) => p.name === s.name)?.predPath === null)
  const exitCode = failed.length === 0 || (options.allowMissing === true && missingOnly) ? 0 : 2
  return { document: buildResultDocument(profile, series), exitCode, extraPredictions }
}

type Task = SeriesPair & { profile: ProfileName }

const DEFAULT_THREAD_MEMORY_MB = 256

async function scoreInThisThread(tasks: Task[], progress: (r: SeriesResult) => void): Promise<SeriesResult[]> {
  const out: SeriesResult[] = []
  for (const task of tasks) {
    const result = await scoreSeriesFiles(task)
    progress(result)
    out.push(result)
  }
  return out
}

const WORKER_BODY = siblingModule('./score-worker.ts', import.meta.url)

/**
 * The calling thread scores too, from the same queue, while `threads - 1` workers start:
 * a worker needs about a second to load tsx and the scorer, during which this thread has
 * already scored dozens of series, so the start-up cost is hidden rather than added.
 */
async function scoreOnWorkers(
  tasks: Task[],
  threads: number,
  memoryMb: number,
  progress: (r: SeriesResult) => void,
): Promise<SeriesResult[]> {
  const pool = new ThreadPool<Task, SeriesResult>({
    module: WORKER_BODY,
    size: threads - 1,
    resourceLimits: { maxOldGenerationSizeMb: memoryMb },
  })
  const onWorker = (task: Task) =>
    pool.run(task).catch((err: unknown) => {
      if (err instanceof ThreadTaskError) {
        const { file, problem } = err.details
        throw err.originalName === 'ImageError' && typeof file === 'string' && typeof problem === 'string'
          ? new ImageError(file, problem)
          : new Error(`scoring ${task.name} failed: ${err.message}`)
      }
      if (err instanceof ThreadExitError) {
        throw new Error(
          err.outOfMemory
            ? `a scoring thread reached its ${memoryMb} MB heap limit (starting, or scoring ${task.name})`
            : `a scoring worker exited unexpectedly (${err.reason})`,
        )
      }
      throw err
    })
  const inThisThread = async (task: Task) => {
    const result = await scoreSeriesFiles(task)
    // Let worker replies in: they hand the next task to an idle worker.
    await new Promise((r) => setImmediate(r))
    return result
  }
  try {
    return await runLanes(tasks, [...Array.from({ length: threads - 1 }, () => onWorker), inThisThread], progress)
  } finally {
    void pool.close()
  }
}
