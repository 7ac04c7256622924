import { Worker } from 'node:worker_threads'
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

interface Pending {
  readonly id: number
  readonly task: ImageTask
  resolve(result: unknown): void
  reject(err: Error): void
}

interface Slot {
  readonly worker: Worker
  busy: Pending | null
  idle: NodeJS.Timeout | null
}

type Reply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: { name: string; message: string } } | { ready: true }

const ENTRY = new URL('./image-thread-entry.mjs', import.meta.url)
const BODY = new URL('./image-thread.ts', import.meta.url).href

/** The uploader's name of the file a task is about (for the problem of a thread that ran out of memory). */
const taskPath = (task: ImageTask): string => (task.kind === 'prediction' ? task.path : task.mask.path)

/**
 * A small pool of image-validation threads: uploaded images are decoded and checked there,
 * off the API's event loop, at most `threads` at a time (further tasks wait their turn).
 * Threads start on demand, have a heap limit, and stop after `idleMs` without work. A thread
 * that runs out of memory fails its task with a problem naming the file (a 422 for the
 * uploader) and is replaced; any other failure rejects the task.
 */
export class ImageValidator {
  private readonly slots: Slot[] = []
  private readonly queue: Pending[] = []
  private nextId = 1
  private closed = false

  constructor(private readonly options: ImageValidatorOptions) {
    if (!Number.isInteger(options.threads) || options.threads < 1) throw new Error(`image validation threads must be a positive integer, got ${options.threads}`)
  }

  run<T extends ImageTask>(task: T): Promise<ImageTaskResult<T>> {
    if (this.closed) return Promise.reject(new Error('the image validator is closed'))
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, task, resolve: resolve as (r: unknown) => void, reject })
      this.pump()
    })
  }

  /** Threads currently running (for tests and metrics). */
  get threadCount(): number {
    return this.slots.length
  }

  private pump(): void {
    while (this.queue.length > 0 && !this.closed) {
      let slot = this.slots.find((s) => s.busy === null)
      if (!slot && this.slots.length < this.options.threads) slot = this.spawn()
      if (!slot) return
      const pending = this.queue.shift() as Pending
      if (slot.idle) clearTimeout(slot.idle)
      slot.idle = null
      slot.busy = pending
      slot.worker.postMessage({ id: pending.id, task: pending.task })
    }
    for (const slot of this.slots) if (slot.busy === null && slot.idle === null) this.startIdleTimer(slot)
  }

  private startIdleTimer(slot: Slot): void {
    slot.idle = setTimeout(() => {
      if (slot.busy !== null) return
      this.remove(slot)
      void slot.worker.terminate()
    }, this.options.idleMs ?? 30_000)
    slot.idle.unref()
  }

  private remove(slot: Slot): void {
    const i = this.slots.indexOf(slot)
    if (i >= 0) this.slots.splice(i, 1)
    if (slot.idle) clearTimeout(slot.idle)
  }

  private spawn(): Slot {
    const { heapMb } = this.options
    const worker = new Worker(ENTRY, {
      workerData: { module: this.options.threadModule ?? BODY },
      resourceLimits: { maxOldGenerationSizeMb: heapMb, maxYoungGenerationSizeMb: Math.min(64, Math.max(8, Math.floor(heapMb / 8))), stackSizeMb: 4 },
    })
    // The server's sockets keep the process alive; an idle or busy thread alone never does.
    worker.unref()
    const slot: Slot = { worker, busy: null, idle: null }
    worker.on('message', (reply: Reply) => {
      if ('ready' in reply) return
      const pending = slot.busy
      slot.busy = null
      if (pending && pending.id === reply.id) {
        if (reply.ok) pending.resolve(reply.result)
        else pending.reject(Object.assign(new Error(reply.error.message), { name: reply.error.name }))
      }
      this.pump()
    })
    let failure: Error | null = null
    worker.on('error', (err: Error & { code?: string }) => {
      failure = err
    })
    worker.on('exit', (code) => {
      this.remove(slot)
      const pending = slot.busy
      slot.busy = null
      if (pending) {
        const err = failure as (Error & { code?: string }) | null
        if (err?.code === 'ERR_WORKER_OUT_OF_MEMORY') {
          pending.resolve({ problem: `${taskPath(pending.task)}: checking this image needs more than the ${heapMb} MB of memory an image check may use` })
        } else {
          pending.reject(new Error(`image validation thread stopped (${err ? err.message : `exit code ${code}`})`))
        }
      }
      if (!this.closed) this.pump()
    })
    this.slots.push(slot)
    return slot
  }

  /** Rejects waiting tasks and stops the threads (running tasks are rejected too). */
  async close(): Promise<void> {
    this.closed = true
    for (const p of this.queue.splice(0)) p.reject(new Error('the image validator is closed'))
    await Promise.all(
      [...this.slots].map((s) => {
        if (s.idle) clearTimeout(s.idle)
        return s.worker.terminate()
      }),
    )
  }
}
