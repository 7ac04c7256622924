/**
 * Database side of an evaluation: every write is idempotent (upserts by natural key,
 * guarded status transitions), because any job may run more than once.
 */
import type { Prisma, PrismaClient } from '@spider-bench/db'
import {
  createEvaluation,
  evaluationMovingTo,
  failureMessage,
  isTerminal,
  STALLED,
  STATUS,
  submissionMovingTo,
  type FaultKind,
} from '@spider-bench/evaluation'
import type { SeriesResult } from '@spider-bench/scoring'

export async function loadEvaluation(prisma: PrismaClient, evaluationId: string) {
  const evaluation = await prisma.evaluation.findUnique({
    where: { id: evaluationId },
    include: {
      submission: { select: { id: true, kind: true, files: true, phaseId: true, status: true } },
      testSet: {
        select: {
          id: true,
          version: true,
          public: true,
          series: { select: { id: true, name: true, size: true }, orderBy: { name: 'asc' } },
        },
      },
    },
  })
  // A missing row is not retried into success: the evaluation was deleted (with its submission).
  if (!evaluation) throw new EvaluationGoneError(evaluationId)
  return evaluation
}

export class EvaluationGoneError extends Error {
  override name = 'EvaluationGoneError'
  constructor(evaluationId: string) {
    super(`evaluation ${evaluationId} does not exist (deleted?)`)
  }
}

/** The newest evaluation of a submission decides the submission's status. */
async function isNewestOfSubmission(tx: Prisma.TransactionClient, evaluationId: string, submissionId: string): Promise<boolean> {
  const newest = await tx.evaluation.findFirst({
    where: { submissionId },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    select: { id: true },
  })
  return newest?.id === evaluationId
}

/** queued → running (first time only), with the number of series to score. */
export async function markRunning(prisma: PrismaClient, evaluationId: string, submissionId: string, total: number): Promise<void> {
  await prisma.$transaction(async (tx) => {
    await tx.evaluation.updateMany({
      where: { id: evaluationId, status: evaluationMovingTo(STATUS.running) },
      data: { status: STATUS.running, startedAt: new Date() },
    })
    await tx.evaluation.updateMany({ where: { id: evaluationId, status: STATUS.running }, data: { progressTotal: total } })
    if (await isNewestOfSubmission(tx, evaluationId, submissionId)) {
      await tx.submission.updateMany({
        where: { id: submissionId, status: submissionMovingTo(STATUS.running) },
        data: { status: STATUS.running, error: null },
      })
    }
  })
}

const json = (v: unknown) => v as Prisma.InputJsonValue

/** Stores one series' result; keyed by (evaluation, series) so a retried job never duplicates it. */
export async function storeSeriesResult(
  prisma: PrismaClient,
  evaluationId: string,
  result: SeriesResult,
  durationMs: number,
): Promise<void> {
  const data = {
    sequence: result.sequence,
    status: result.status,
    error: result.error ?? null,
    metrics: json(result.metrics),
    structures: json(result.structures),
    durationMs: Math.round(durationMs),
  }
  await prisma.seriesResult.upsert({
    where: { evaluationId_seriesName: { evaluationId, seriesName: result.name } },
    create: { evaluationId, seriesName: result.name, ...data },
    update: data,
  })
  // progressDone = rows stored; only ever raised, so concurrent updates cannot lower it.
  const done = await prisma.seriesResult.count({ where: { evaluationId } })
  await prisma.evaluation.updateMany({ where: { id: evaluationId, progressDone: { lt: done } }, data: { progressDone: done } })
}

/** The stored result of a series, when one exists (a retried or re-enqueued job skips it). */
export async function storedSeriesResult(prisma: PrismaClient, evaluationId: string, seriesName: string) {
  return prisma.seriesResult.findUnique({ where: { evaluationId_seriesName: { evaluationId, seriesName } } })
}

/** Rows of an evaluation as the scorer's SeriesResult objects, ordered by series name. */
export async function seriesResultsOf(prisma: PrismaClient, evaluationId: string): Promise<SeriesResult[]> {
  const rows = await prisma.seriesResult.findMany({ where: { evaluationId }, orderBy: { seriesName: 'asc' } })
  return rows.map((r) => ({
    name: r.seriesName,
    sequence: r.sequence as SeriesResult['sequence'],
    status: r.status as SeriesResult['status'],
    ...(r.error ? { error: r.error } : {}),
    metrics: r.metrics as SeriesResult['metrics'],
    structures: r.structures as unknown as SeriesResult['structures'],
  }))
}

export async function markSucceeded(
  prisma: PrismaClient,
  evaluationId: string,
  submissionId: string,
  parts: { aggregates: unknown; bySequence: unknown; total: number },
): Promise<void> {
  await prisma.$transaction(async (tx) => {
    const { count } = await tx.evaluation.updateMany({
      where: { id: evaluationId, status: evaluationMovingTo(STATUS.succeeded) },
      data: {
        status: STATUS.succeeded,
        aggregates: json(parts.aggregates),
        bySequence: json(parts.bySequence),
        progressDone: parts.total,
        finishedAt: new Date(),
        error: null,
        errorKind: null,
      },
    })
    if (count === 1 && (await isNewestOfSubmission(tx, evaluationId, submissionId))) {
      await tx.submission.updateMany({
        where: { id: submissionId, status: submissionMovingTo(STATUS.succeeded) },
        data: { status: STATUS.succeeded, error: null },
      })
    }
  })
}

/**
 * Fails a running evaluation (no-op when it already ended). A system failure does not count
 * against the submission limit unless the submission already has a successful evaluation.
 */
export async function markFailed(prisma: PrismaClient, evaluationId: string, kind: FaultKind, message: string): Promise<boolean> {
  return prisma.$transaction(async (tx) => {
    const evaluation = await tx.evaluation.findUnique({ where: { id: evaluationId }, select: { submissionId: true, status: true } })
    if (!evaluation || isTerminal(evaluation.status)) return false
    const error = failureMessage(kind, message)
    await tx.evaluation.update({
      where: { id: evaluationId },
      data: { status: STATUS.failed, error, errorKind: kind, finishedAt: new Date() },
    })
    if (await isNewestOfSubmission(tx, evaluationId, evaluation.submissionId)) {
      const succeededBefore = await tx.evaluation.count({ where: { submissionId: evaluation.submissionId, status: STATUS.succeeded } })
      await tx.submission.updateMany({
        where: { id: evaluation.submissionId, status: submissionMovingTo(STATUS.failed) },
        data: { status: STATUS.failed, error, ...(kind === 'system' && succeededBefore === 0 ? { countsTowardLimit: false } : {}) },
      })
    }
    return true
  })
}

/**
 * The watchdog's verdict on a running evaluation that made no progress: it fails as a system
 * fault (`errorKind` "stalled"). The first time for a submission, a new evaluation of the
 * same test set is created (returned as `requeued`; the caller enqueues it) and the
 * submission goes back to "queued"; the second time on that test set, the submission fails and, unless it had
 * succeeded before, does not count against the limit. Null when the evaluation was no longer
 * running (another watchdog, a cancel or its end came first).
 */
export async function markStalled(prisma: PrismaClient, evaluationId: string, reason: string): Promise<{ requeued: string | null } | null> {
  return prisma.$transaction(async (tx) => {
    const evaluation = await tx.evaluation.findUnique({
      where: { id: evaluationId },
      select: { submissionId: true, testSetId: true, profile: true, scorerVersion: true, progressTotal: true },
    })
    if (!evaluation) return null
    const { count } = await tx.evaluation.updateMany({
      where: { id: evaluationId, status: STATUS.running },
      data: { status: STATUS.failed, errorKind: STALLED, error: `stopped by the watchdog: ${reason}`, finishedAt: new Date() },
    })
    if (count === 0) return null
    const newest = await isNewestOfSubmission(tx, evaluationId, evaluation.submissionId)
    const earlier = await tx.evaluation.count({
      where: { submissionId: evaluation.submissionId, testSetId: evaluation.testSetId, errorKind: STALLED, id: { not: evaluationId } },
    })
    if (earlier === 0) {
      const requeued = await createEvaluation(tx, evaluation.submissionId, {
        testSet: { id: evaluation.testSetId, seriesCount: evaluation.progressTotal },
        profile: evaluation.profile,
        scorerVersion: evaluation.scorerVersion,
      })
      if (newest)
        await tx.submission.updateMany({
          where: { id: evaluation.submissionId, status: submissionMovingTo(STATUS.queued) },
          data: { status: STATUS.queued, error: null },
        })
      return { requeued }
    }
    if (newest) {
      const succeededBefore = await tx.evaluation.count({ where: { submissionId: evaluation.submissionId, status: STATUS.succeeded } })
      await tx.submission.updateMany({
        where: { id: evaluation.submissionId, status: submissionMovingTo(STATUS.failed) },
        data: {
          status: STATUS.failed,
          error: failureMessage('system', `the evaluation made no progress twice and was stopped: ${reason}`),
          ...(succeededBefore === 0 ? { countsTowardLimit: false } : {}),
        },
      })
    }
    return { requeued: null }
  })
}
