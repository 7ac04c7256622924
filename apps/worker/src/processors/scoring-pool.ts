import { Worker } from 'node:worker_threads'
import type { ProfileName, SeriesResult } from '@spider-bench/scoring'
import type { ScoreTask, ThreadReady, ThreadReply } from './score-task.ts'

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
}

const ENTRY = new URL('./score-thread-entry.mjs', import.meta.url)
const BODY = new URL('./score-thread.ts', import.meta.url).href

/**
 * A fixed pool of scoring threads. Threads start lazily, one task each at a time; a thread
 * that dies fails its task (the job is then retried by BullMQ) and is replaced.
 */
export class ScoringPool {
  private readonly slots: Slot[] = []
  private readonly queue: Pending[] = []
  private nextId = 1
  private closed = false

  /** `threadModule`: the thread body (URL string); tests pass a stand-in. */
  constructor(
    readonly size: number,
    private readonly threadModule: string = BODY,
  ) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`scoring pool size must be a positive integer, got ${size}`)
  }

  score(input: { name: string; truthPath: string; predPath: string | null; profile: ProfileName }): Promise<SeriesResult> {
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
   * evaluation does not pay for thread start-up (seconds: tsx transpiles the scorer).
   */
  async warm(): Promise<void> {
    while (this.slots.length < this.size && !this.closed) this.spawn()
    await Promise.all(this.slots.map((s) => s.ready))
  }

  private spawn(): Slot {
    let markReady = () => {}
    const ready = new Promise<void>((resolve) => (markReady = resolve))
    const slot: Slot = { worker: new Worker(ENTRY, { workerData: { module: this.threadModule } }), busy: null, ready }
    slot.worker.on('message', (reply: ThreadReply | ThreadReady) => {
      if ('ready' in reply) {
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
    const fail = (err: Error) => {
      markReady()
      const i = this.slots.indexOf(slot)
      if (i >= 0) this.slots.splice(i, 1)
      slot.busy?.reject(new Error(`scoring thread stopped: ${err.message}`))
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
