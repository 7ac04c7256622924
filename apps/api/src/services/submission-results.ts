import type { PrismaClient } from '@spider-bench/db'
import type { AuthUser } from '../types.ts'
import { canManage } from './challenges.ts'
import { assertCanSee, findSubmission } from './evaluations.ts'

/**
 * The newest successful evaluation of a submission (else its newest one). Per-series results
 * follow the phase's `perSeriesVisibility`: "owner" shows them to the participant and the
 * organisers, "organisers" only to the organisers (participants see aggregates only).
 */
export async function submissionResults(db: PrismaClient, user: AuthUser | null, id: string) {
  const submission = await findSubmission(db, id)
  assertCanSee(user, submission)
  const evaluation =
    (await db.evaluation.findFirst({ where: { submissionId: id, status: 'succeeded' }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], include: { testSet: { select: { version: true } } } })) ??
    (await db.evaluation.findFirst({ where: { submissionId: id }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], include: { testSet: { select: { version: true } } } }))
  const visibility = submission.phase.perSeriesVisibility
  const showSeries = canManage(user, submission.phase.challenge) || (visibility === 'owner' && user?.id === submission.participantId)
  const rows = evaluation && showSeries ? await db.seriesResult.findMany({ where: { evaluationId: evaluation.id } }) : null
  return {
    submissionId: id,
    evaluationId: evaluation?.id ?? null,
    status: evaluation?.status ?? null,
    scorerVersion: evaluation?.scorerVersion ?? null,
    testSetVersion: evaluation?.testSet.version ?? null,
    aggregates: evaluation?.aggregates ?? null,
    bySequence: evaluation?.bySequence ?? null,
    perSeriesVisibility: visibility,
    series: rows
      ? rows
          .sort((a, b) => (a.seriesName < b.seriesName ? -1 : a.seriesName > b.seriesName ? 1 : 0))
          .map((r) => ({ name: r.seriesName, sequence: r.sequence, status: r.status, error: r.error, metrics: r.metrics as Record<string, number | null>, structures: r.structures as unknown[] }))
      : null,
  }
}
