/**
 * The watchdog: a running evaluation that has made no progress for longer than its phase
 * allows is stopped as a system fault (never counted against the participant's limit) and
 * queued again once; a second stall fails the submission, again as a system fault.
 *
 * "Progress" is a stored series result or a job of the evaluation starting. The allowance is
 * derived from the per-series limits and the number of series: watchdogGraceMs + series x
 * (watchdogSeriesMs, plus the inference time limit for an algorithm). An evaluation with a
 * job still waiting in a queue (behind other work, or for a worker of its role to connect:
 * the API shows that as a `waitingReason`) is queued, not stalled, and left alone.
 */
import { inferenceJobId, removeEvaluationJobs, scoreSeriesJobId } from '@spider-bench/contracts'
import { enqueueEvaluation, STATUS } from '@spider-bench/evaluation'
import type { Job, Queue } from 'bullmq'
import type { WorkerContext } from './context.ts'
import { markStalled } from './evaluation-store.ts'
import { finalizeJobId } from './job-ids.ts'

export interface WatchdogReport {
  readonly checked: number
  /** Evaluations stopped and queued again (the new evaluation ids). */
  readonly requeued: Array<{ stalled: string; evaluationId: string }>
  /** Evaluations stopped for the second time: their submissions failed. */
  readonly failed: string[]
}

/** Job states in which a job waits for a worker: the evaluation is queued, not stalled. */
const QUEUED = ['waiting', 'prioritized', 'delayed', 'wait']

/** How long an evaluation of `series` series may go without progress. */
export function stallAllowanceMs(ctx: Pick<WorkerContext, 'config'>, series: number, algorithm: boolean): number {
  const perSeries = ctx.config.watchdogSeriesMs + (algorithm ? ctx.config.inferenceTimeLimitMs : 0)
  return ctx.config.watchdogGraceMs + Math.max(1, series) * perSeries
}

interface JobView {
  readonly state: string
  readonly processedOn: number | undefined
}

async function jobView(queue: Queue, id: string): Promise<JobView | null> {
  const job = (await queue.getJob(id)) as Job | undefined
  if (!job) return null
  return { state: await job.getState(), processedOn: job.processedOn }
}

/** Minutes, for messages. */
const minutes = (ms: number) => `${Math.max(1, Math.round(ms / 60_000))} min`

export async function watchdog(ctx: WorkerContext, now = Date.now()): Promise<WatchdogReport> {
  const running = await ctx.prisma.evaluation.findMany({
    where: { status: STATUS.running },
    select: { id: true, startedAt: true, createdAt: true, testSetId: true, submission: { select: { kind: true } } },
    orderBy: { createdAt: 'asc' },
  })
  const requeued: Array<{ stalled: string; evaluationId: string }> = []
  const failed: string[] = []
  for (const evaluation of running) {
    const series = await ctx.prisma.testSeries.findMany({ where: { testSetId: evaluation.testSetId }, select: { id: true } })
    const algorithm = evaluation.submission.kind === 'algorithm'
    const allowance = stallAllowanceMs(ctx, series.length, algorithm)
    const latest = await ctx.prisma.seriesResult.findFirst({
      where: { evaluationId: evaluation.id },
      orderBy: { updatedAt: 'desc' },
      select: { updatedAt: true },
    })
    let lastProgress = Math.max((evaluation.startedAt ?? evaluation.createdAt).getTime(), latest?.updatedAt.getTime() ?? 0)
    if (now - lastProgress <= allowance) continue
    // The jobs decide: one waiting in a queue means queued; one started recently is progress.
    const views = await Promise.all([
      jobView(ctx.queues.finalize, finalizeJobId(evaluation.id)),
      ...series.map((s) => jobView(ctx.queues.scoreSeries, scoreSeriesJobId(evaluation.id, s.id))),
      ...(algorithm ? series.map((s) => jobView(ctx.queues.inference, inferenceJobId(evaluation.id, s.id))) : []),
    ])
    const jobs = views.filter((v): v is JobView => v !== null)
    if (jobs.some((j) => QUEUED.includes(j.state))) {
      ctx.log.debug({ evaluationId: evaluation.id, states: jobs.map((j) => j.state) }, 'watchdog: past its allowance but queued')
      continue
    }
    // The reconciler re-enqueues an evaluation Redis lost entirely; that is not a stall.
    if (jobs.length === 0) continue
    for (const j of jobs) if (j.state === 'active' && j.processedOn !== undefined) lastProgress = Math.max(lastProgress, j.processedOn)
    const idleMs = now - lastProgress
    if (idleMs <= allowance) {
      ctx.log.debug({ evaluationId: evaluation.id, idleMs, allowanceMs: allowance, jobs }, 'watchdog: a job started recently')
      continue
    }

    const reason = `no progress for ${minutes(idleMs)} (this phase allows ${minutes(allowance)} for ${series.length} series)`
    const outcome = await markStalled(ctx.prisma, evaluation.id, reason)
    if (!outcome) continue // another worker's watchdog, a cancel or the evaluation's end came first
    // Kill a model process still running it, and drop its jobs (running ones end by themselves).
    await ctx.stopEvaluation(evaluation.id)
    const left = await removeEvaluationJobs(
      ctx.queues,
      evaluation.id,
      series.map((s) => s.id),
    ).catch((err: Error) => [`(${err.message})`])
    if (outcome.requeued) {
      await enqueueEvaluation(ctx.queues.evaluation, outcome.requeued)
      requeued.push({ stalled: evaluation.id, evaluationId: outcome.requeued })
    } else failed.push(evaluation.id)
    ctx.log.warn(
      { evaluationId: evaluation.id, idleMs, allowanceMs: allowance, requeuedAs: outcome.requeued, jobsLeft: left },
      'watchdog: stalled evaluation stopped',
    )
  }
  return { checked: running.length, requeued, failed }
}
