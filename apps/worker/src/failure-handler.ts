import { UnrecoverableError, type Job } from 'bullmq'
import type { WorkerContext } from './context.ts'
import { markFailed } from './evaluation-store.ts'
import { faultKind } from '@spider-bench/evaluation'

/** Whether BullMQ will try this job again (it retries until `attempts`, unless unrecoverable). */
export function isFinalFailure(job: Pick<Job, 'attemptsMade' | 'opts'>, err: Error): boolean {
  return err instanceof UnrecoverableError || err.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1)
}

/**
 * `failed` listener of a worker: a retried system fault is only logged (it never fails the
 * submission on its first occurrence); an input fault, or a system fault after the last
 * attempt, fails the evaluation. System faults of the evaluation job itself are left to the
 * reconciler, which enqueues the evaluation again.
 */
export function failureHandler(
  ctx: WorkerContext,
  queue: 'evaluation' | 'scoreSeries' | 'finalize' | 'inference',
  pending: Set<NodeJS.Timeout> = new Set(),
) {
  return async (job: Job<{ evaluationId: string }> | undefined, err: Error): Promise<void> => {
    if (!job) return
    const evaluationId = job.data.evaluationId
    const kind = faultKind(err)
    const final = isFinalFailure(job, err)
    ctx.log[final ? 'error' : 'warn'](
      { queue, jobId: job.id, evaluationId, attemptsMade: job.attemptsMade, kind, final, err: err.message },
      'job failed',
    )
    if (!final || (queue === 'evaluation' && kind === 'system')) return
    const record = async () => {
      try {
        await markFailed(ctx.prisma, evaluationId, kind, err.message)
      } catch (dbErr) {
        // The reconciler finds the failed flow later and records the failure then.
        ctx.log.error({ err: dbErr, evaluationId }, 'could not record the failed evaluation')
      }
    }
    // A parent failed by its child: the child's own handler records the real cause (an input
    // fault, say); this generic failure is only a fallback, e.g. for a child that stalled out.
    // Score jobs of algorithm submissions are parents too (of their inference job).
    if ((queue === 'finalize' || queue === 'scoreSeries') && CHILD_FAILED.test(err.message)) {
      const timer = setTimeout(() => {
        pending.delete(timer)
        void record()
      }, CHILD_GRACE_MS)
      pending.add(timer)
    } else await record()
  }
}

/** BullMQ's reason for a parent moved to failed by a child with failParentOnFailure. */
const CHILD_FAILED = /^child \S+ failed$/
const CHILD_GRACE_MS = 5000
