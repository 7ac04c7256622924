import { Worker, type ResourceLimits } from 'node:worker_threads'
import type { ReplyMessage, SerializedError, TaskMessage } from './protocol.ts'

export interface ThreadPoolOptions {
  /**
   * The thread body: a module URL that calls serveTasks; a TypeScript one (the sources) runs
   * through tsx, a JavaScript one (the build, siblingModule) runs as it is.
   */
  readonly module: string
  /** Threads at most; they start on demand (or all at once with warm()). */
  readonly size: number
  /** V8 limits of each thread (heap, stack). */
  readonly resourceLimits?: ResourceLimits
  /** A thread idle this long stops, so that the memory it used returns to the system. */
  readonly idleMs?: number
  /** Threads never keep the process alive by themselves (a server's sockets do). */
  readonly unref?: boolean
}

/** The thread body threw: its error's name, message and details, as the body described them. */
export class ThreadTaskError extends Error {
  constructor(
    readonly originalName: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message)
    this.name = originalName
  }
}

/**
 * A thread stopped: a crash, an exit, or its heap limit (`outOfMemory`); `loaded`: whether it
 * had loaded its body before (a thread that cannot even load is a setting, not a task's fault).
 */
export class ThreadExitError extends Error {
  constructor(
    readonly reason: string,
    readonly outOfMemory: boolean,
    readonly loaded: boolean,
  ) {
    super(`thread stopped: ${reason}`)
    this.name = 'ThreadExitError'
  }
}

interface Pending<Task, Result> {
  readonly id: number
  readonly task: Task
  resolve(result: Result): void
  reject(err: Error): void
}

interface Slot<Task, Result> {
  readonly worker: Worker
  busy: Pending<Task, Result> | null
  idle: NodeJS.Timeout | null
  loaded: boolean
  /** Resolves when the thread has loaded its body, or stopped. */
  readonly ready: Promise<void>
}

/** Loads a TypeScript thread body through tsx (threads do not inherit the parent's loader). */
const TS_ENTRY = new URL('./thread-entry.mjs', import.meta.url)

/**
 * The URL of a module beside `base` (the caller's import.meta.url), named as in the sources
 * (`./score-thread.ts`): that file when the caller runs from its TypeScript source, its
 * compiled `.js` when the caller runs from the build (scripts/build.mjs).
 */
export function siblingModule(name: string, base: string): string {
  return new URL(base.endsWith('.ts') ? name : name.replace(/\.ts$/, '.js'), base).href
}

/**
 * A pool of worker threads running one task each at a time; tasks wait in order for a free
 * thread. A thread that stops fails the task it was running with ThreadExitError and is
 * replaced by the next task that needs one. The one pool behind the scorer, the generator,
 * the worker's scoring threads and the API's image checks.
 */
export class ThreadPool<Task, Result> {
  private readonly slots: Array<Slot<Task, Result>> = []
  private readonly queue: Array<Pending<Task, Result>> = []
  private nextId = 1
  private closed = false
  /** The first thread that stopped before it had loaded its body. */
  private startupFailure: ThreadExitError | null = null

  constructor(private readonly options: ThreadPoolOptions) {
    if (!Number.isInteger(options.size) || options.size < 1)
      throw new RangeError(`thread pool size must be a positive integer, got ${options.size}`)
  }

  /** Runs a task on the next free thread. */
  run(task: Task): Promise<Result> {
    if (this.closed) return Promise.reject(new Error('the thread pool is closed'))
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, task, resolve, reject })
      this.pump()
    })
  }

  /** Threads currently running. */
  get threadCount(): number {
    return this.slots.length
  }

  /**
   * Starts every thread and waits until each has loaded its body, so that the first tasks do
   * not pay for thread start-up; rejects with the ThreadExitError of a thread that stopped
   * while loading (e.g. a heap limit too small for the body).
   */
  async warm(): Promise<void> {
    while (this.slots.length < this.options.size && !this.closed) this.spawn()
    await Promise.all(this.slots.map((s) => s.ready))
    if (this.startupFailure) throw this.startupFailure
  }

  private pump(): void {
    while (this.queue.length > 0 && !this.closed) {
      let slot = this.slots.find((s) => s.busy === null)
      if (!slot && this.slots.length < this.options.size) slot = this.spawn()
      if (!slot) break
      const pending = this.queue.shift() as Pending<Task, Result>
      if (slot.idle) clearTimeout(slot.idle)
      slot.idle = null
      slot.busy = pending
      slot.worker.postMessage({ id: pending.id, task: pending.task } satisfies TaskMessage<Task>)
    }
    if (this.options.idleMs !== undefined)
      for (const slot of this.slots) if (slot.busy === null && slot.idle === null) this.stopWhenIdle(slot, this.options.idleMs)
  }

  private stopWhenIdle(slot: Slot<Task, Result>, idleMs: number): void {
    slot.idle = setTimeout(() => {
      if (slot.busy !== null) return
      this.remove(slot)
      void slot.worker.terminate()
    }, idleMs)
    slot.idle.unref()
  }

  private remove(slot: Slot<Task, Result>): void {
    const i = this.slots.indexOf(slot)
    if (i >= 0) this.slots.splice(i, 1)
    if (slot.idle) clearTimeout(slot.idle)
  }

  private spawn(): Slot<Task, Result> {
    let markReady = () => {}
    const ready = new Promise<void>((resolve) => (markReady = resolve))
    const { module } = this.options
    const worker = new Worker(module.endsWith('.ts') ? TS_ENTRY : new URL(module), {
      workerData: { module },
      ...(this.options.resourceLimits ? { resourceLimits: this.options.resourceLimits } : {}),
    })
    if (this.options.unref) worker.unref()
    const slot: Slot<Task, Result> = { worker, busy: null, idle: null, loaded: false, ready }
    worker.on('message', (reply: ReplyMessage<Result>) => {
      if ('ready' in reply) {
        slot.loaded = true
        markReady()
        return
      }
      const pending = slot.busy
      slot.busy = null
      if (pending && pending.id === reply.id) {
        if (reply.ok) pending.resolve(reply.result)
        else pending.reject(taskError(reply.error))
      }
      this.pump()
    })
    let failure: (Error & { code?: string }) | null = null
    worker.on('error', (err: Error & { code?: string }) => {
      failure = err
    })
    worker.on('exit', (code) => {
      markReady()
      this.remove(slot)
      const err = failure as (Error & { code?: string }) | null
      const stopped = new ThreadExitError(err ? err.message : `exit code ${code}`, err?.code === 'ERR_WORKER_OUT_OF_MEMORY', slot.loaded)
      if (!slot.loaded && !this.closed) this.startupFailure ??= stopped
      const pending = slot.busy
      slot.busy = null
      pending?.reject(stopped)
      if (!this.closed) this.pump()
    })
    this.slots.push(slot)
    return slot
  }

  /** Rejects waiting tasks and stops the threads (running tasks are rejected too). */
  async close(): Promise<void> {
    this.closed = true
    for (const p of this.queue.splice(0)) p.reject(new Error('the thread pool is closed'))
    await Promise.all([...this.slots].map((s) => (this.remove(s), s.worker.terminate())))
  }
}

const taskError = (e: SerializedError) => new ThreadTaskError(e.name, e.message, e.details)

/**
 * Runs `tasks` on `lanes` concurrent workers pulling from one queue (each lane takes the next
 * task when its previous one is done); results in task order. The first failure rejects and
 * no further task starts.
 */
export async function runLanes<Task, Result>(
  tasks: readonly Task[],
  lanes: ReadonlyArray<(task: Task) => Promise<Result>>,
  done?: (result: Result, task: Task) => void,
): Promise<Result[]> {
  const results = new Array<Result>(tasks.length)
  let next = 0
  let failed = false
  await Promise.all(
    lanes.map(async (run) => {
      while (!failed && next < tasks.length) {
        const i = next++
        try {
          results[i] = await run(tasks[i])
        } catch (err) {
          failed = true
          throw err
        }
        done?.(results[i], tasks[i])
      }
    }),
  )
  return results
}
