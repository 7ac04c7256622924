/**
 * Creating and enqueueing an evaluation, written once for every producer: an upload and a
 * re-evaluation (API), a canary's hand-over to the hidden test set and a watchdog requeue
 * (worker), and the reconciler (worker). The database is the source of truth: a row exists
 * before its job, and a job Redis did not take is enqueued later by the reconciler.
 */
import type { Queue } from 'bullmq'
import { addEvaluationJob } from '@spider-bench/contracts'
import type { Prisma, PrismaClient } from '@spider-bench/db'
import { SCORER_VERSION } from '@spider-bench/scoring'
import type { Log } from './log.ts'
import { STATUS } from './status.ts'

type Db = PrismaClient | Prisma.TransactionClient

export interface TestSetRef {
  readonly id: string
  readonly seriesCount: number
}

/** The newest test set of a phase: the hidden one, or (`public`) its sanity cases. */
export async function latestTestSet(db: Db, phaseId: string, visibility: 'hidden' | 'public' = 'hidden'): Promise<TestSetRef | null> {
  return db.testSetVersion.findFirst({
    where: { phaseId, public: visibility === 'public' },
    orderBy: { version: 'desc' },
    select: { id: true, seriesCount: true },
  })
}

export interface NewEvaluation {
  readonly testSet: TestSetRef
  readonly profile: string
  /** Default: the scorer of this build. */
  readonly scorerVersion?: string
}

/** The fields of a new evaluation row: queued on the test set, with its number of series. */
export function evaluationRow(e: NewEvaluation) {
  return {
    testSetId: e.testSet.id,
    profile: e.profile,
    scorerVersion: e.scorerVersion ?? SCORER_VERSION,
    status: STATUS.queued,
    progressTotal: e.testSet.seriesCount,
  }
}

/** Creates a queued evaluation of a submission (`db` may be a transaction); returns its id. */
export async function createEvaluation(db: Db, submissionId: string, e: NewEvaluation): Promise<string> {
  const row = await db.evaluation.create({ data: { submissionId, ...evaluationRow(e) }, select: { id: true } })
  return row.id
}

/** Enqueues an evaluation; a failure is the caller's (a worker job is retried). */
export async function enqueueEvaluation(queue: Queue, evaluationId: string): Promise<void> {
  await addEvaluationJob(queue, evaluationId)
}

/**
 * Enqueues an evaluation whose row is committed, best effort: when Redis does not take the
 * job now, the worker's reconciler enqueues it from the database (within a minute).
 */
export async function enqueueOrLeaveToReconciler(queue: Queue, evaluationId: string, log: Log): Promise<void> {
  await addEvaluationJob(queue, evaluationId).catch((err: unknown) => {
    log.warn({ err, evaluationId }, 'could not enqueue the evaluation now; the reconciler will')
  })
}
