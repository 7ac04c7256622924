import { Worker } from 'node:worker_threads'
import type { SeriesResult } from '@spider-bench/scoring'
import type { ScoreInput, ScoreTask, ThreadReady, ThreadReply } from './score-task.ts'

/** An error raised inside a scoring thread, with its original name (e.g. `ImageError`). */
export class ThreadTaskError extends Error {
  constructor(
    readonly originalName: string,
    message: string,
  ) {
    super(message)
    this.name = originalName
  }
}

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

interface Pending {
  readonly task: ScoreTask
  resolve(result: SeriesResult): void
  reject(err: Error): void
}

interface Slot {
  worker: Worker
  busy: Pending | null
  /** Resolves when the thread has loaded its code (or died). */
  ready: Promise<void>
  loaded: boolean
}

const ENTRY = new URL('./score-thread-entry.mjs', import.meta.url)
const BODY = new URL('./score-thread.ts', import.meta.url).href

/**
 * A fixed pool of scoring threads. Threads start lazily, one task each at a time; a thread
 * that dies fails its task and is replaced. A thread stopped by its memory limit while
 * scoring fails its task with ThreadMemoryError (the caller decides whose fault it is); any
 * other death is a plain Error (a system fault: BullMQ retries the job).
 */
export class ScoringPool {
  private readonly slots: Slot[] = []
  private readonly queue: Pending[] = []
  private nextId = 1
  private closed = false
  private readonly threadModule: string
  private readonly memoryMb: number | undefined
  /** Set when a thread ran out of memory before it had loaded the scorer. */
  private startupError: Error | null = null

  constructor(
    readonly size: number,
    options: ScoringPoolOptions = {},
  ) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`scoring pool size must be a positive integer, got ${size}`)
    if (options.memoryMb !== undefined && !(Number.isInteger(options.memoryMb) && options.memoryMb >= 1)) {
      throw new Error(`scoring thread memory must be a positive whole number of MB, got ${options.memoryMb}`)
    }
    this.threadModule = options.threadModule ?? BODY
    this.memoryMb = options.memoryMb
  }

  score(input: ScoreInput): Promise<SeriesResult> {
    if (this.closed) return Promise.reject(new Error('scoring pool is closed'))
    return new Promise((resolve, reject) => {
      this.queue.push({ task: { id: this.nextId++, ...input }, resolve, reject })
      this.pump()
    })
  }

  private pump(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => s.busy === null)
      if (!slot && this.slots.length < this.size) slot = this.spawn()
      if (!slot) return
      const pending = this.queue.shift() as Pending
      slot.busy = pending
      slot.worker.postMessage(pending.task)
    }
  }

  /**
   * Starts every thread and waits until each has loaded the scoring code, so that the first
   * evaluation does not pay for thread start-up (seconds: tsx transpiles the scorer). Throws
   * when a thread cannot even load the scorer within its memory limit (a setting to fix).
   */
  async warm(): Promise<void> {
    while (this.slots.length < this.size && !this.closed) this.spawn()
    await Promise.all(this.slots.map((s) => s.ready))
    if (this.startupError) throw this.startupError
  }

  private spawn(): Slot {
    let markReady = () => {}
    const ready = new Promise<void>((resolve) => (markReady = resolve))
    const resourceLimits = this.memoryMb === undefined ? undefined : { maxOldGenerationSizeMb: this.memoryMb }
    const worker = new Worker(ENTRY, { workerData: { module: this.threadModule }, resourceLimits })
    const slot: Slot = { worker, busy: null, ready, loaded: false }
    slot.worker.on('message', (reply: ThreadReply | ThreadReady) => {
      if ('ready' in reply) {
        slot.loaded = true
        markReady()
        return
      }
      const pending = slot.busy
      slot.busy = null
      if (pending && pending.task.id === reply.id) {
        if (reply.ok) pending.resolve(reply.result)
        else pending.reject(new ThreadTaskError(reply.error.name, reply.error.message))
      }
      this.pump()
    })
    const fail = (err: Error & { code?: string }) => {
      markReady()
      const i = this.slots.indexOf(slot)
      if (i >= 0) this.slots.splice(i, 1)
      let reason = new Error(`scoring thread stopped: ${err.message}`)
      if (err.code === 'ERR_WORKER_OUT_OF_MEMORY' && this.memoryMb !== undefined) {
        if (slot.loaded && slot.busy) reason = new ThreadMemoryError(slot.busy.task.name, this.memoryMb)
        else if (!slot.loaded) {
          reason = new Error(`a scoring thread ran out of memory while loading the scorer: its ${this.memoryMb} MB limit is too small`)
          this.startupError ??= reason
        }
      }
      slot.busy?.reject(reason)
      slot.busy = null
      if (!this.closed) this.pump()
    }
    slot.worker.on('error', fail)
    slot.worker.on('exit', (code) => fail(new Error(`exit code ${code}`)))
    this.slots.push(slot)
    return slot
  }

  /** Rejects queued tasks and stops the threads (running tasks are rejected too). */
  async close(): Promise<void> {
    this.closed = true
    for (const p of this.queue.splice(0)) p.reject(new Error('scoring pool is closed'))
    await Promise.all(this.slots.map((s) => s.worker.terminate()))
  }
}
