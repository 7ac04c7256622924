/**
 * Queue `evaluation`: one job per evaluation (added by the API, re-evaluation and the
 * reconciler; job id = evaluation id). Its processor marks the evaluation running and
 * expands it into a BullMQ flow: one `scoreSeries` child per test series and a `finalize`
 * parent that runs once every child has completed.
 */
import { Job, Worker } from 'bullmq'
import type { Redis } from 'ioredis'
import { addEvaluationFlow, type EvaluationJobData } from '@spider-bench/contracts'
import { InputFault, isTerminal } from '@spider-bench/evaluation'
import type { WorkerContext } from '../context.ts'
import { loadEvaluation, markRunning } from '../evaluation-store.ts'
import { finalizeJobId } from '../job-ids.ts'
import { workerOptions } from './worker-options.ts'

/** Parent states in which the flow is alive and will finish by itself. */
const LIVE = ['waiting', 'waiting-children', 'active', 'delayed', 'prioritized']

export async function execEvaluationJob(ctx: WorkerContext, job: Job<EvaluationJobData>): Promise<string> {
  const { evaluationId } = job.data
  const evaluation = await loadEvaluation(ctx.prisma, evaluationId)
  if (isTerminal(evaluation.status)) return `skipped: evaluation already ${evaluation.status}`
  // Largest series first (as scoreDirectories does), so no big one starts last on an idle farm.
  const voxels = (size: unknown) => (Array.isArray(size) ? size.reduce((p: number, v) => p * Number(v), 1) : 0)
  const series = [...evaluation.testSet.series].sort((a, b) => voxels(b.size) - voxels(a.size))
  if (series.length === 0)
    throw new InputFault(`test set version ${evaluation.testSet.version} has no series; the organisers must upload one`)
  const algorithm = evaluation.submission.kind === 'algorithm'
  if (!algorithm && (evaluation.submission.files === null || typeof evaluation.submission.files !== 'object')) {
    throw new InputFault('the submission has no prediction files; upload a folder or archive of predicted masks')
  }
  await markRunning(ctx.prisma, evaluationId, evaluation.submission.id, series.length)

  const parentId = finalizeJobId(evaluationId)
  const existing = await Job.fromId(ctx.queues.finalize, parentId)
  if (existing) {
    const state = await existing.getState()
    if (LIVE.includes(state)) return `flow exists (${state})`
    // A finished or failed flow of a still-running evaluation: replace it (children included).
    await existing.remove({ removeChildren: true })
  }
  const { traceId } = job.data
  await addEvaluationFlow(ctx.flows, ctx.names, {
    evaluationId,
    ...(traceId ? { traceId } : {}),
    seriesIds: series.map((s) => s.id),
    algorithm,
  })
  ctx.log.info({ evaluationId, series: series.length, queuedMs: Date.now() - job.timestamp }, 'evaluation flow added')
  return `flow added (${series.length} series)`
}

export function startEvaluationWorker(ctx: WorkerContext, connection: Redis): Worker<EvaluationJobData> {
  return new Worker<EvaluationJobData>(
    ctx.names.evaluation,
    (job) => execEvaluationJob(ctx, job),
    workerOptions(ctx, connection, 'scoring', 2),
  )
}
