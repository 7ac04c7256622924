/**
 * Queue `scoreSeries`: one job per (evaluation, test series), a child of the evaluation's
 * flow. Scores the series in a scoring thread and upserts its result. Many such jobs run at
 * once, in this process (`concurrency`) and in every other worker sharing Redis.
 */
import { basename } from 'node:path'
import { Worker, type Job } from 'bullmq'
import type { Redis } from 'ioredis'
import { isProfileName, type SeriesResult } from '@spider-bench/scoring'
import type { ScoreSeriesJobData } from '@spider-bench/contracts'
import type { LocalFile } from '@spider-bench/storage'
import { InputFault, isTerminal } from '@spider-bench/evaluation'
import type { WorkerContext } from '../context.ts'
import { storedSeriesResult, storeSeriesResult } from '../evaluation-store.ts'
import { ThreadMemoryError } from '../processors/scoring-pool.ts'
import { workerOptions } from './worker-options.ts'

/** The prediction's storage key: an uploaded file, or what the inference child produced. */
async function predictionKey(job: Job<ScoreSeriesJobData>, kind: string, files: unknown, seriesName: string): Promise<string | null> {
  if (kind === 'algorithm') {
    const values = Object.values(await job.getChildrenValues()) as Array<{ predictionKey?: unknown }>
    const key = values.find((v) => typeof v?.predictionKey === 'string')?.predictionKey
    if (typeof key !== 'string') throw new Error(`no prediction from the inference job of series ${seriesName}`)
    return key
  }
  const key = (files as Record<string, unknown> | null)?.[seriesName]
  return typeof key === 'string' ? key : null
}

/** The checksum recorded at upload of a predictions submission's file for `name`, when there is one. */
function uploadedSha(submission: { kind: string; fileSha256: unknown }, name: string): { sha256: string } | undefined {
  const sha256 = submission.kind === 'predictions' ? (submission.fileSha256 as Record<string, unknown> | null)?.[name] : undefined
  return typeof sha256 === 'string' ? { sha256 } : undefined
}

export async function execScoreSeriesJob(ctx: WorkerContext, job: Job<ScoreSeriesJobData>): Promise<{ series: string; status: string }> {
  const { evaluationId, seriesId } = job.data
  const [evaluation, series] = await Promise.all([
    ctx.prisma.evaluation.findUnique({
      where: { id: evaluationId },
      select: { status: true, profile: true, submission: { select: { kind: true, files: true, fileSha256: true } } },
    }),
    ctx.prisma.testSeries.findUnique({ where: { id: seriesId }, select: { name: true, maskKey: true, maskSha256: true } }),
  ])
  if (!evaluation) return { series: seriesId, status: 'skipped: evaluation deleted' }
  if (!series) throw new Error(`test series ${seriesId} of evaluation ${evaluationId} does not exist`)
  if (isTerminal(evaluation.status)) return { series: series.name, status: `skipped: evaluation ${evaluation.status}` }
  if (!isProfileName(evaluation.profile)) throw new Error(`evaluation ${evaluationId}: unknown scoring profile "${evaluation.profile}"`)

  // Scoring is deterministic: a result stored by an earlier (killed) attempt is kept as is.
  const stored = await storedSeriesResult(ctx.prisma, evaluationId, series.name)
  let result: Pick<SeriesResult, 'status' | 'error'>
  let predKey: string | null
  if (stored) {
    result = { status: stored.status as SeriesResult['status'], ...(stored.error ? { error: stored.error } : {}) }
    predKey = await predictionKey(job, evaluation.submission.kind, evaluation.submission.files, series.name)
  } else {
    predKey = await predictionKey(job, evaluation.submission.kind, evaluation.submission.files, series.name)
    // Local copies (S3: from this machine's cache; the mask by its recorded checksum), fetched
    // together and held until the series is scored.
    const [truthCopy, predCopy] = await Promise.allSettled([
      ctx.storage.localFile(series.maskKey, { sha256: series.maskSha256 }),
      predKey === null ? Promise.resolve(null) : ctx.storage.localFile(predKey, uploadedSha(evaluation.submission, series.name)),
    ])
    if (truthCopy.status === 'rejected' || predCopy.status === 'rejected') {
      await Promise.all([truthCopy, predCopy].map((c) => (c.status === 'fulfilled' ? c.value?.release() : undefined)))
      throw truthCopy.status === 'rejected' ? truthCopy.reason : (predCopy as PromiseRejectedResult).reason
    }
    const truth = truthCopy.value
    const pred: LocalFile | null = predCopy.value
    const truthPath = truth.path
    const predPath = pred?.path ?? null
    const started = performance.now()
    const scored = await ctx.pool
      .score({
        name: series.name,
        truthPath,
        predPath,
        profile: evaluation.profile,
        // Messages name the uploaded file, never its place in storage.
        ...(predKey === null ? {} : { predLabel: basename(predKey) }),
        options: { maxPredictionLabels: ctx.config.maxPredictionLabels },
      })
      .catch((err: unknown) => {
        // The scorer's memory is bounded for any valid input, so a thread that outgrew its
        // limit on a prediction was fed one the participant must fix; without a prediction
        // (the reference alone) it is a system fault, retried.
        if (err instanceof ThreadMemoryError && predKey !== null) {
          throw new InputFault(
            `prediction for series ${series.name} could not be scored: ` +
              `scoring it exceeded the scoring thread's memory limit (${err.limitMb} MB); ` +
              'a prediction must be a label mask like the reference (SPIDER masks have fewer than 100 structures); ' +
              'fix the file and submit again',
          )
        }
        throw err
      })
      .finally(() => Promise.all([truth.release(), pred?.release()]))
    await storeSeriesResult(ctx.prisma, evaluationId, scored, performance.now() - started)
    result = scored
  }
  // A prediction that was uploaded but cannot be scored is the participant's to fix; a series
  // without an uploaded prediction (accepted by the API) is scored as empty, as `score` does.
  if (result.status === 'error' && predKey !== null) {
    throw new InputFault(
      `prediction for series ${series.name} could not be scored: ${result.error ?? 'unknown error'}; fix the file and submit again`,
    )
  }
  return { series: series.name, status: result.status }
}

export function startScoreSeriesWorker(ctx: WorkerContext, connection: Redis): Worker<ScoreSeriesJobData> {
  // One job more than scoring threads: the next series is fetched and prepared (database
  // reads, file paths) while the threads are busy, so no thread waits between series.
  return new Worker<ScoreSeriesJobData>(
    ctx.names.scoreSeries,
    (job) => execScoreSeriesJob(ctx, job),
    workerOptions(ctx, connection, 'scoring', ctx.config.concurrency, 1),
  )
}
