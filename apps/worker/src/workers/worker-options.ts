import type { WorkerOptions } from 'bullmq'
import type { Redis } from 'ioredis'
import type { WorkerRole } from '@spider-bench/contracts'
import type { WorkerContext } from '../context.ts'

/**
 * Options of every BullMQ worker of this process: named by role (the API counts workers by
 * role), the lock renewed within WORKER_LOCK_MS, a job whose worker died (lock lost three
 * times) failed. `prefetch`: jobs taken beyond `concurrency` (prepared while the others run);
 * the advertised concurrency stays `concurrency`.
 */
export function workerOptions(
  ctx: Pick<WorkerContext, 'config' | 'workerName'>,
  connection: Redis,
  role: WorkerRole,
  concurrency: number,
  prefetch = 0,
): WorkerOptions {
  return {
    connection,
    name: ctx.workerName(role, concurrency),
    concurrency: concurrency + prefetch,
    lockDuration: ctx.config.lockDurationMs,
    stalledInterval: ctx.config.lockDurationMs,
    maxStalledCount: 3,
  }
}
