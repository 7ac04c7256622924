import { createEvaluation, enqueueEvaluation, InputFault, latestTestSet } from '@spider-bench/evaluation'
import type { WorkerContext } from './context.ts'

/**
 * An algorithm submission first runs on the phase's public sanity cases (the canary), where
 * participants see full error output. Once the canary evaluation has succeeded, this creates
 * the evaluation on the current hidden test set and enqueues it. Idempotent: a retried
 * finalize finds the hidden evaluation it created before and only re-enqueues it (the job id
 * is the evaluation id, so BullMQ keeps one job).
 */
export async function promoteCanary(
  ctx: WorkerContext,
  canary: { id: string; createdAt: Date; profile: string; scorerVersion: string; submission: { id: string; phaseId: string } },
): Promise<string> {
  const hiddenId = await ctx.prisma.$transaction(async (tx) => {
    const existing = await tx.evaluation.findFirst({
      where: { submissionId: canary.submission.id, testSet: { public: false }, createdAt: { gte: canary.createdAt } },
      select: { id: true },
    })
    if (existing) return existing.id
    const hidden = await latestTestSet(tx, canary.submission.phaseId)
    if (!hidden)
      throw new InputFault('the canary run on the public sanity cases succeeded, but the phase has no hidden test set to evaluate on')
    return createEvaluation(tx, canary.submission.id, { testSet: hidden, profile: canary.profile, scorerVersion: canary.scorerVersion })
  })
  await enqueueEvaluation(ctx.queues.evaluation, hiddenId)
  ctx.log.info(
    { evaluationId: canary.id, hiddenEvaluationId: hiddenId, submissionId: canary.submission.id },
    'canary passed; evaluating on the hidden test set',
  )
  return hiddenId
}
