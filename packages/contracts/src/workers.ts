/**
 * What worker processes advertise about themselves, and the Redis keys they share with the
 * API for honest queue state (GET /api/v1/status, a submission's queue position).
 */

/** Roles of worker processes: every worker scores; `inference` ones also run algorithms. */
export const WORKER_ROLES = ['scoring', 'inference'] as const
export type WorkerRole = (typeof WORKER_ROLES)[number]

/** A worker as named in Redis (BullMQ's Worker `name` option, visible to Queue.getWorkers()). */
export interface WorkerIdentity {
  readonly role: WorkerRole
  readonly host: string
  readonly pid: number
  /** Jobs this worker runs at once. */
  readonly concurrency: number
}

/** `role/host/pid/concurrency`: no spaces (Redis client names may not hold any). */
export function workerName(id: WorkerIdentity): string {
  return [id.role, id.host.replace(/[\s/]/g, '_'), id.pid, id.concurrency].join('/')
}

/**
 * The identity in a client name listed by Queue.getWorkers() (`rawname`, e.g.
 * `bull:<base64 queue>:w:scoring/host/123/4`); null for workers not named by spider-bench.
 */
export function parseWorkerName(raw: string | undefined): WorkerIdentity | null {
  if (!raw) return null
  const at = raw.indexOf(':w:')
  const parts = (at >= 0 ? raw.slice(at + 3) : raw).split('/')
  if (parts.length !== 4 || !(WORKER_ROLES as readonly string[]).includes(parts[0])) return null
  const pid = Number(parts[2])
  const concurrency = Number(parts[3])
  if (!Number.isInteger(pid) || !Number.isInteger(concurrency) || concurrency < 1) return null
  return { role: parts[0] as WorkerRole, host: parts[1], pid, concurrency }
}

/**
 * Pub/sub channel on which an API process (cancel) or a worker (watchdog) asks every worker
 * to stop an evaluation now (message: the evaluation id): inference workers kill the model
 * process running it. Same prefix rule as the queue names.
 */
export function stopEvaluationChannel(prefix = process.env.SPIDER_QUEUE_PREFIX ?? ''): string {
  return prefix ? `${prefix}-spider-stop-evaluation` : 'spider-stop-evaluation'
}

/**
 * Redis list of the latest job timings of a queue (full queue name), newest first, written
 * by workers when a job completes: JSON `{ at, waitMs, runMs }` (finish time, time from
 * enqueue to start, run time). Capped and expiring, so a stopped farm leaves nothing behind.
 */
export function jobTimingsKey(fullQueueName: string): string {
  return `spider-timings:${fullQueueName}`
}

export interface JobTiming {
  /** Finish time, ms since the epoch. */
  readonly at: number
  readonly waitMs: number
  readonly runMs: number
}

/** Entries kept per queue, and how long the list outlives its last write. */
export const JOB_TIMINGS_KEEP = 2000
export const JOB_TIMINGS_TTL_SECONDS = 2 * 3600
