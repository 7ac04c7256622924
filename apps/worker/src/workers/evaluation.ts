/**
 * Queue `evaluation`: one job per evaluation (added by the API, re-evaluation and the
 * reconciler; job id = evaluation id). Its processor marks the evaluation running and
 * expands it into a BullMQ flow: one `scoreSeries` child per test series and a `finalize`
 * parent that runs once every child has completed.
 */
import { Job, Worker, type FlowJob } from 'bullmq'
import type { Redis } from 'ioredis'
import { SYSTEM_FAULT_RETRY, type EvaluationJobData, type InferenceJobData, type ScoreSeriesJobData } from '@spider-bench/contracts'
import type { WorkerContext } from '../context.ts'
import { isTerminal, loadEvaluation, markRunning } from '../evaluation-store.ts'
import { InputFault } from '../faults.ts'
import { finalizeJobId, inferenceJobId, scoreSeriesJobId } from '../job-ids.ts'

const KEEP = { removeOnComplete: true, removeOnFail: { age: 7 * 24 * 3600 } } as const
/** Parent states in which the flow is alive and will finish by itself. */
const LIVE = ['waiting', 'waiting-children', 'active', 'delayed', 'prioritized']

export async function execEvaluationJob(ctx: WorkerContext, job: Job<EvaluationJobData>): Promise<string> {
  const { evaluationId } = job.data
  const evaluation = await loadEvaluation(ctx.prisma, evaluationId)
  if (isTerminal(evaluation.status)) return `skipped: evaluation already ${evaluation.status}`
  // Largest series first (as scoreDirectories does), so no big one starts last on an idle farm.
  const voxels = (size: unknown) => (Array.isArray(size) ? size.reduce((p: number, v) => p * Number(v), 1) : 0)
  const series = [...evaluation.testSet.series].sort((a, b) => voxels(b.size) - voxels(a.size))
  if (series.length === 0) throw new InputFault(`test set version ${evaluation.testSet.version} has no series; the organisers must upload one`)
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
  const traceId = job.data.traceId
  const children: FlowJob[] = series.map((s) => {
    const data: ScoreSeriesJobData = { evaluationId, seriesId: s.id, ...(traceId ? { traceId } : {}) }
    const inference: FlowJob[] = algorithm
      ? [
          {
            // Hook for `worker --inference`: that processor runs the model on the series and
            // returns { predictionKey }, which the score job reads from its children's values.
            name: 'infer',
            queueName: ctx.names.inference,
            data: data satisfies InferenceJobData,
            opts: { jobId: inferenceJobId(evaluationId, s.id), ...SYSTEM_FAULT_RETRY, ...KEEP, failParentOnFailure: true },
          },
        ]
      : []
    return {
      name: 'score',
      queueName: ctx.names.scoreSeries,
      data,
      opts: { jobId: scoreSeriesJobId(evaluationId, s.id), ...SYSTEM_FAULT_RETRY, ...KEEP, failParentOnFailure: true },
      children: inference,
    }
  })
  await ctx.flows.add({
    name: 'finalize',
    queueName: ctx.names.finalize,
    data: { evaluationId, ...(traceId ? { traceId } : {}) },
    opts: { jobId: parentId, ...SYSTEM_FAULT_RETRY, ...KEEP },
    children,
  })
  ctx.log.info({ evaluationId, series: series.length, queuedMs: Date.now() - job.timestamp }, 'evaluation flow added')
  return `flow added (${series.length} series)`
}

export function startEvaluationWorker(ctx: WorkerContext, connection: Redis): Worker<EvaluationJobData> {
  return new Worker<EvaluationJobData>(ctx.names.evaluation, (job) => execEvaluationJob(ctx, job), {
    connection,
    name: ctx.workerName('scoring', 2),
    concurrency: 2,
    lockDuration: ctx.config.lockDurationMs,
    stalledInterval: ctx.config.lockDurationMs,
    maxStalledCount: 3,
  })
}
