/**
 * The database is the source of truth: evaluations it lists as queued or running must be
 * known to Redis (an evaluation job or a live flow). Anything Redis lost (a restart without
 * persistence, a flush, an enqueue that never happened) is enqueued again; a flow that BullMQ
 * gave up on (e.g. a series that kept killing its workers) fails the evaluation as a system fault.
 */
import { Job } from 'bullmq'
import type { EvaluationJobData } from '@spider-bench/contracts'
import { ACTIVE_STATUSES, enqueueEvaluation, statusIn } from '@spider-bench/evaluation'
import type { WorkerContext } from './context.ts'
import { markFailed } from './evaluation-store.ts'
import { finalizeJobId } from './job-ids.ts'

const LIVE = ['waiting', 'waiting-children', 'active', 'delayed', 'prioritized']

export interface ReconcileReport {
  readonly checked: number
  readonly requeued: string[]
  readonly failed: string[]
}

async function stateOf(job: Job | undefined): Promise<string | null> {
  return job ? await job.getState() : null
}

export async function reconcile(ctx: WorkerContext, graceMs = ctx.config.reconcileGraceMs): Promise<ReconcileReport> {
  const evaluations = await ctx.prisma.evaluation.findMany({
    where: { status: statusIn(ACTIVE_STATUSES), createdAt: { lt: new Date(Date.now() - graceMs) } },
    select: { id: true },
    orderBy: { createdAt: 'asc' },
  })
  const requeued: string[] = []
  const failed: string[] = []
  for (const { id } of evaluations) {
    const evaluationJob = await Job.fromId<EvaluationJobData>(ctx.queues.evaluation, id)
    const evaluationState = await stateOf(evaluationJob)
    if (evaluationState && LIVE.includes(evaluationState)) continue
    const flow = await Job.fromId(ctx.queues.finalize, finalizeJobId(id))
    const flowState = await stateOf(flow)
    if (flowState && LIVE.includes(flowState)) continue
    if (flow && flowState === 'failed') {
      if (await markFailed(ctx.prisma, id, 'system', flow.failedReason || 'the evaluation flow failed')) failed.push(id)
      continue
    }
    // A finished job record would block re-adding under the same id.
    if (evaluationJob) await evaluationJob.remove().catch(() => undefined)
    await enqueueEvaluation(ctx.queues.evaluation, id)
    requeued.push(id)
  }
  if (requeued.length || failed.length) ctx.log.warn({ requeued, failed }, 'reconciler: repaired evaluations unknown to Redis')
  return { checked: evaluations.length, requeued, failed }
}
