import type { SeriesResult } from '@spider-bench/scoring'
import { siblingModule, ThreadExitError, ThreadPool, ThreadTaskError } from '@spider-bench/threads'
import type { ScoreInput } from './score-task.ts'

/** An error raised inside a scoring thread, with its original name (e.g. `ImageError`). */
export { ThreadTaskError } from '@spider-bench/threads'

/**
 * A scoring thread was stopped by its memory limit while scoring a series (after it had
 * loaded the scorer within that limit): the series' input needed more than the limit.
 */
export class ThreadMemoryError extends Error {
  constructor(
    readonly series: string,
    readonly limitMb: number,
  ) {
    super(`scoring thread stopped: series ${series} exceeded the thread's ${limitMb} MB memory limit`)
    this.name = 'ThreadMemoryError'
  }
}

export interface ScoringPoolOptions {
  /** The thread body (URL string); tests pass a stand-in. */
  readonly threadModule?: string
  /** JavaScript heap limit of each thread (old generation), MB; default: V8's. */
  readonly memoryMb?: number
}

const BODY = siblingModule('./score-thread.ts', import.meta.url)

/**
 * A fixed pool of scoring threads (a ThreadPool of @spider-bench/threads). Threads start
 * lazily, one task each at a time; a thread that dies fails its task and is replaced. A
 * thread stopped by its memory limit while scoring fails its task with ThreadMemoryError (the
 * caller decides whose fault it is); any other death is a plain Error (a system fault: BullMQ
 * retries the job).
 */
export class ScoringPool {
  private readonly pool: ThreadPool<ScoreInput, SeriesResult>
  private readonly memoryMb: number | undefined

  constructor(
    readonly size: number,
    options: ScoringPoolOptions = {},
  ) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`scoring pool size must be a positive integer, got ${size}`)
    if (options.memoryMb !== undefined && !(Number.isInteger(options.memoryMb) && options.memoryMb >= 1)) {
      throw new Error(`scoring thread memory must be a positive whole number of MB, got ${options.memoryMb}`)
    }
    this.memoryMb = options.memoryMb
    this.pool = new ThreadPool({
      module: options.threadModule ?? BODY,
      size,
      ...(options.memoryMb !== undefined ? { resourceLimits: { maxOldGenerationSizeMb: options.memoryMb } } : {}),
    })
  }

  score(input: ScoreInput): Promise<SeriesResult> {
    return this.pool.run(input).catch((err: unknown) => {
      throw this.explain(err, input)
    })
  }

  /**
   * Starts every thread and waits until each has loaded the scoring code, so that the first
   * evaluation does not pay for thread start-up (seconds when tsx transpiles the scorer). Throws
   * when a thread cannot even load the scorer within its memory limit (a setting to fix).
   */
  async warm(): Promise<void> {
    await this.pool.warm().catch((err: unknown) => {
      throw this.explain(err, null)
    })
  }

  private explain(err: unknown, input: ScoreInput | null): unknown {
    if (err instanceof ThreadTaskError) return err
    if (!(err instanceof ThreadExitError))
      return err instanceof Error && /closed/.test(err.message) ? new Error('scoring pool is closed') : err
    if (err.outOfMemory && this.memoryMb !== undefined) {
      if (!err.loaded)
        return new Error(`a scoring thread ran out of memory while loading the scorer: its ${this.memoryMb} MB limit is too small`)
      if (input) return new ThreadMemoryError(input.name, this.memoryMb)
    }
    return new Error(`scoring thread stopped: ${err.reason}`)
  }

  /** Rejects queued tasks and stops the threads (running tasks are rejected too). */
  async close(): Promise<void> {
    await this.pool.close()
  }
}
