import { siblingModule, ThreadExitError, ThreadPool } from '@spider-bench/threads'
import type { ImageTask, ImageTaskResult } from './image-checks.ts'

export interface ImageValidatorOptions {
  /** Threads at most (IMAGE_VALIDATION_THREADS): the global limit on concurrent image checks. */
  readonly threads: number
  /** JavaScript heap limit of each thread, MB (IMAGE_VALIDATION_HEAP_MB). */
  readonly heapMb: number
  /** A thread idle this long stops, so that the memory it used returns to the system. */
  readonly idleMs?: number
  /** The thread body (URL string); tests pass a stand-in. */
  readonly threadModule?: string
}

const BODY = siblingModule('./image-thread.ts', import.meta.url)

/** The uploader's name of the file a task is about (for the problem of a thread that ran out of memory). */
const taskPath = (task: ImageTask): string => (task.kind === 'prediction' ? task.path : task.mask.path)

/**
 * A small pool of image-validation threads (a ThreadPool of @spider-bench/threads): uploaded
 * images are decoded and checked there, off the API's event loop, at most `threads` at a time
 * (further tasks wait their turn). Threads start on demand, have a heap limit, and stop after
 * `idleMs` without work. A thread that runs out of memory fails its task with a problem naming
 * the file (a 422 for the uploader) and is replaced; any other failure rejects the task.
 */
export class ImageValidator {
  private readonly pool: ThreadPool<ImageTask, unknown>

  constructor(private readonly options: ImageValidatorOptions) {
    if (!Number.isInteger(options.threads) || options.threads < 1)
      throw new Error(`image validation threads must be a positive integer, got ${options.threads}`)
    const { heapMb } = options
    this.pool = new ThreadPool({
      module: options.threadModule ?? BODY,
      size: options.threads,
      resourceLimits: {
        maxOldGenerationSizeMb: heapMb,
        maxYoungGenerationSizeMb: Math.min(64, Math.max(8, Math.floor(heapMb / 8))),
        stackSizeMb: 4,
      },
      idleMs: options.idleMs ?? 30_000,
      // The server's sockets keep the process alive; an idle or busy thread alone never does.
      unref: true,
    })
  }

  async run<T extends ImageTask>(task: T): Promise<ImageTaskResult<T>> {
    try {
      return (await this.pool.run(task)) as ImageTaskResult<T>
    } catch (err) {
      if (!(err instanceof ThreadExitError))
        throw err instanceof Error && err.message === 'the thread pool is closed' ? new Error('the image validator is closed') : err
      if (err.outOfMemory)
        return {
          problem: `${taskPath(task)}: checking this image needs more than the ${this.options.heapMb} MB of memory an image check may use`,
        } as ImageTaskResult<T>
      throw new Error(`image validation thread stopped (${err.reason})`)
    }
  }

  /** Threads currently running (for tests and metrics). */
  get threadCount(): number {
    return this.pool.threadCount
  }

  /** Rejects waiting tasks and stops the threads (running tasks are rejected too). */
  async close(): Promise<void> {
    await this.pool.close()
  }
}
