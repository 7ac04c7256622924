import type { PrismaClient } from '@spider-bench/db'
import { ACTIVE_STATUSES, createEvaluation, enqueueOrLeaveToReconciler, latestTestSet, STATUS, statusIn } from '@spider-bench/evaluation'
import { conflict, forbidden, notFound } from '../errors.ts'
import type { AuthUser } from '../types.ts'
import { canManage, findPhase } from './challenges.ts'
import type { ServiceDeps } from './deps.ts'

type EvaluationDeps = Pick<ServiceDeps, 'db' | 'queues' | 'log'>

/** A submission with what access checks need: its phase, challenge owner and participant. */
export async function findSubmission(db: PrismaClient, id: string) {
  const submission = await db.submission.findUnique({
    where: { id },
    include: { phase: { include: { challenge: { select: { ownerId: true, slug: true } } } }, participant: { select: { name: true } } },
  })
  if (!submission) throw notFound(`no submission "${id}"`)
  return submission
}
type SubmissionRow = Awaited<ReturnType<typeof findSubmission>>

/** The participant who submitted, the challenge's owner, or an admin. */
export function assertCanSee(user: AuthUser | null, submission: SubmissionRow): void {
  if (user && (user.id === submission.participantId || canManage(user, submission.phase.challenge))) return
  throw user ? forbidden(`submission ${submission.id} belongs to another participant`) : notFound(`no submission "${submission.id}"`)
}

export interface CreatedEvaluation {
  readonly submissionId: string
  readonly evaluationId: string
}

/**
 * New evaluations of submissions on the phase's current hidden test set with the current
 * scorer; the older evaluations and snapshots stay. Submissions with an evaluation still
 * queued or running are skipped (that evaluation will finish). Enqueueing is best effort:
 * a job Redis did not take is enqueued by the worker's reconciler within a minute.
 */
export async function createEvaluations(
  { db, queues, log }: EvaluationDeps,
  phaseId: string,
  submissionIds: string[],
): Promise<{ created: CreatedEvaluation[]; skipped: Array<{ submissionId: string; reason: string }> }> {
  const phase = await db.phase.findUniqueOrThrow({ where: { id: phaseId }, select: { slug: true, scoringProfile: true } })
  const testSet = await latestTestSet(db, phaseId)
  if (!testSet) throw conflict(`phase "${phase.slug}" has no hidden test set to evaluate on; upload one first`)
  const busy = await db.evaluation.findMany({
    where: { submissionId: { in: submissionIds }, status: statusIn(ACTIVE_STATUSES) },
    select: { submissionId: true },
  })
  const busyIds = new Set(busy.map((b) => b.submissionId))
  const created: CreatedEvaluation[] = []
  const skipped: Array<{ submissionId: string; reason: string }> = []
  for (const submissionId of submissionIds) {
    if (busyIds.has(submissionId)) {
      skipped.push({ submissionId, reason: 'an evaluation is already queued or running' })
      continue
    }
    created.push({ submissionId, evaluationId: await createEvaluation(db, submissionId, { testSet, profile: phase.scoringProfile }) })
  }
  for (const { evaluationId } of created) await enqueueOrLeaveToReconciler(queues.evaluation, evaluationId, log)
  return { created, skipped }
}

export async function reevaluateSubmission(deps: EvaluationDeps, user: AuthUser, id: string) {
  const submission = await findSubmission(deps.db, id)
  if (!canManage(user, submission.phase.challenge))
    throw forbidden(`only the owner of challenge "${submission.phase.challenge.slug}" or an admin may re-evaluate submissions`)
  if (submission.status === STATUS.cancelled) throw conflict(`submission ${id} was cancelled`)
  return createEvaluations(deps, submission.phaseId, [id])
}

export async function reevaluatePhase(deps: EvaluationDeps, user: AuthUser, challengeSlug: string, phaseSlug: string) {
  const phase = await findPhase(deps.db, challengeSlug, phaseSlug)
  if (!canManage(user, phase.challenge))
    throw forbidden(`only the owner of challenge "${challengeSlug}" or an admin may re-evaluate submissions`)
  const submissions = await deps.db.submission.findMany({
    where: { phaseId: phase.id, status: { not: STATUS.cancelled } },
    select: { id: true },
    orderBy: { createdAt: 'asc' },
  })
  return createEvaluations(
    deps,
    phase.id,
    submissions.map((s) => s.id),
  )
}

const PROGRESS_SELECT = {
  id: true,
  status: true,
  error: true,
  updatedAt: true,
  evaluations: { orderBy: [{ createdAt: 'desc' as const }, { id: 'desc' as const }], take: 1 },
}

function progressOf(submission: {
  id: string
  status: string
  error: string | null
  evaluations: Array<{ id: string; status: string; progressDone: number; progressTotal: number }>
}) {
  const evaluation = submission.evaluations[0]
  return {
    submissionId: submission.id,
    status: submission.status,
    error: submission.error,
    evaluationId: evaluation?.id ?? null,
    evaluationStatus: evaluation?.status ?? null,
    progress: { done: evaluation?.progressDone ?? 0, total: evaluation?.progressTotal ?? 0 },
  }
}
export type SubmissionProgress = ReturnType<typeof progressOf>

/** Status and progress of a submission: its newest evaluation's. */
export async function submissionProgress(db: PrismaClient, submissionId: string): Promise<SubmissionProgress | null> {
  const submission = await db.submission.findUnique({ where: { id: submissionId }, select: PROGRESS_SELECT })
  return submission ? progressOf(submission) : null
}

/** Status and progress of several submissions in one read; ids with no submission are absent. */
export async function submissionProgressMany(db: PrismaClient, submissionIds: string[]): Promise<Map<string, SubmissionProgress>> {
  const rows = await db.submission.findMany({ where: { id: { in: submissionIds } }, select: PROGRESS_SELECT })
  return new Map(rows.map((r) => [r.id, progressOf(r)]))
}
