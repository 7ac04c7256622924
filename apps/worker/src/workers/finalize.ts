/**
 * Queue `finalize`: the parent job of an evaluation's flow, run once every series is scored.
 * Aggregates the stored per-series results exactly as `spider-bench score` does
 * (buildResultDocument), stores them, and recomputes the phase's leaderboard. A canary
 * evaluation (an algorithm on the phase's public sanity cases) instead hands over to an
 * evaluation on the hidden test set.
 */
import { Worker, type Job } from 'bullmq'
import type { Redis } from 'ioredis'
import { RankingSettingsError } from '@spider-bench/leaderboard'
import { buildResultDocument, isProfileName } from '@spider-bench/scoring'
import type { FinalizeJobData } from '@spider-bench/contracts'
import { recomputeLeaderboard, STATUS } from '@spider-bench/evaluation'
import type { WorkerContext } from '../context.ts'
import { promoteCanary } from '../canary.ts'
import { loadEvaluation, markSucceeded, seriesResultsOf } from '../evaluation-store.ts'
import { workerOptions } from './worker-options.ts'

export async function execFinalizeJob(ctx: WorkerContext, job: Job<FinalizeJobData>): Promise<string> {
  const { evaluationId } = job.data
  const evaluation = await loadEvaluation(ctx.prisma, evaluationId)
  if (evaluation.status === STATUS.failed || evaluation.status === STATUS.cancelled) return `skipped: evaluation ${evaluation.status}`
  let hiddenId: string | null = null
  if (evaluation.status !== STATUS.succeeded) {
    if (!isProfileName(evaluation.profile)) throw new Error(`evaluation ${evaluationId}: unknown scoring profile "${evaluation.profile}"`)
    const series = await seriesResultsOf(ctx.prisma, evaluationId)
    const expected = evaluation.testSet.series.map((s) => s.name)
    const have = new Set(series.map((s) => s.name))
    const missing = expected.filter((n) => !have.has(n))
    // Children completed means their rows were written; a gap is a system fault, retried.
    if (missing.length > 0) throw new Error(`evaluation ${evaluationId}: no stored result for series ${missing.slice(0, 5).join(', ')}`)
    const document = buildResultDocument(
      evaluation.profile,
      series.filter((s) => expected.includes(s.name)),
    )
    // A canary (public sanity cases) first creates the hidden evaluation, so that the canary
    // is not the submission's newest evaluation and never marks the submission succeeded.
    if (evaluation.testSet.public) hiddenId = await promoteCanary(ctx, evaluation)
    await markSucceeded(ctx.prisma, evaluationId, evaluation.submission.id, {
      aggregates: document.aggregates,
      bySequence: document.bySequence,
      total: expected.length,
    })
  }
  // Canary results never reach the leaderboard; a retry only makes sure the hidden run exists.
  if (evaluation.testSet.public) return `canary passed: hidden evaluation ${hiddenId ?? (await promoteCanary(ctx, evaluation))}`
  // Runs again on a retry after the evaluation was stored: the leaderboard must follow.
  try {
    const snapshot = await recomputeLeaderboard(ctx.prisma, evaluation.submission.phaseId)
    ctx.onLeaderboard?.(evaluation.submission.phaseId)
    ctx.log.info(
      {
        evaluationId,
        phaseId: evaluation.submission.phaseId,
        version: snapshot.version,
        executionMs: Date.now() - (job.processedOn ?? Date.now()),
      },
      'evaluation finalized',
    )
    return `leaderboard version ${snapshot.version}`
  } catch (err) {
    // Invalid ranking settings are the organisers' to fix; the evaluation itself stands.
    if (err instanceof RankingSettingsError) {
      ctx.log.error({ err, phaseId: evaluation.submission.phaseId }, 'leaderboard not recomputed: invalid ranking settings')
      return `leaderboard not recomputed: ${err.message}`
    }
    throw err
  }
}

export function startFinalizeWorker(ctx: WorkerContext, connection: Redis): Worker<FinalizeJobData> {
  return new Worker<FinalizeJobData>(ctx.names.finalize, (job) => execFinalizeJob(ctx, job), workerOptions(ctx, connection, 'scoring', 2))
}
