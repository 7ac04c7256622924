import type { PrismaClient } from '@spider-bench/db'
import { inferredPredictionKey } from '@spider-bench/contracts'
import type { Storage } from '@spider-bench/storage'
import { notFound } from '../errors.ts'
import type { AuthUser } from '../types.ts'
import { assertCanSee, findSubmission } from './evaluations.ts'

export interface CanaryView {
  readonly submissionId: string
  readonly kind: string
  /** The newest run on the phase's public sanity cases; null: none (predictions, or no sanity set when submitted). */
  readonly evaluationId: string | null
  readonly status: string | null
  /** The run's error, in full: the sanity cases are public, so nothing hidden is in it. */
  readonly error: string | null
  readonly testSetVersion: number | null
  readonly series: Array<{
    name: string
    sequence: string
    /** "scored" | "error" | "pending" (not scored yet). */
    status: string
    error: string | null
    metrics: Record<string, number | null>
    /**
     * URL of the picture (mid-sagittal slice with reference and prediction outlines),
     * or null while the model has produced no mask for it.
     */
    preview: string | null
  }>
}

/**
 * The newest canary evaluation of a submission: an evaluation on a *public* sanity set, never
 * one on the hidden test set. Only whoever may see the submission sees it.
 */
export async function findCanary(db: PrismaClient, user: AuthUser | null, submissionId: string) {
  const submission = await findSubmission(db, submissionId)
  assertCanSee(user, submission)
  const evaluation = await db.evaluation.findFirst({
    where: { submissionId, testSet: { public: true } },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    include: {
      testSet: {
        select: {
          id: true,
          version: true,
          public: true,
          series: { select: { name: true, sequence: true, imageKey: true, maskKey: true }, orderBy: { name: 'asc' } },
        },
      },
    },
  })
  return { submission, evaluation: evaluation && evaluation.testSet.public ? evaluation : null }
}

/** The canary run of a submission with its per-case results and pictures (see CanaryView). */
export async function getCanary(db: PrismaClient, storage: Storage, user: AuthUser | null, submissionId: string): Promise<CanaryView> {
  const { submission, evaluation } = await findCanary(db, user, submissionId)
  if (!evaluation)
    return { submissionId, kind: submission.kind, evaluationId: null, status: null, error: null, testSetVersion: null, series: [] }
  const results = await db.seriesResult.findMany({ where: { evaluationId: evaluation.id } })
  const byName = new Map(results.map((r) => [r.seriesName, r]))
  const series = await Promise.all(
    evaluation.testSet.series.map(async (s) => {
      const r = byName.get(s.name)
      const predicted = await storage.exists(inferredPredictionKey(submission.storagePrefix, evaluation.id, s.name))
      return {
        name: s.name,
        sequence: s.sequence,
        status: r?.status ?? 'pending',
        error: r?.error ?? null,
        metrics: (r?.metrics ?? {}) as Record<string, number | null>,
        preview: predicted
          ? `/api/v1/submissions/${encodeURIComponent(submissionId)}/canary/${encodeURIComponent(s.name)}/preview.png`
          : null,
      }
    }),
  )
  return {
    submissionId,
    kind: submission.kind,
    evaluationId: evaluation.id,
    status: evaluation.status,
    error: evaluation.error,
    testSetVersion: evaluation.testSet.version,
    series,
  }
}

/** What a canary picture is drawn from: one public sanity case and the model's mask for it. */
export async function canaryCase(db: PrismaClient, user: AuthUser | null, submissionId: string, seriesName: string) {
  const { submission, evaluation } = await findCanary(db, user, submissionId)
  if (!evaluation) throw notFound(`submission ${submissionId} has no canary run on public sanity cases`)
  const series = evaluation.testSet.series.find((s) => s.name === seriesName)
  if (!series) throw notFound(`the canary run of submission ${submissionId} has no public sanity case "${seriesName}"`)
  return {
    evaluationId: evaluation.id,
    imageKey: series.imageKey,
    maskKey: series.maskKey,
    predictionKey: inferredPredictionKey(submission.storagePrefix, evaluation.id, series.name),
    previewKey: `${submission.storagePrefix}/previews/${evaluation.id}/${series.name}.png`,
  }
}
