/**
 * Queue `inference`: one job per (evaluation, test series) of an algorithm submission, the
 * child of that series' score job; consumed only by `spider-bench worker --inference`. Runs
 * the submitted ONNX model on the series image in a model process (time and memory limits,
 * crash isolation), stores the predicted mask and returns { predictionKey }; the score job
 * then scores it exactly like an uploaded prediction.
 *
 * One model at a time per worker process (concurrency 1): start one inference worker per GPU
 * (e.g. CUDA_VISIBLE_DEVICES=0, =1, ...). On hidden series a failing model is reported by its
 * safe error code only; full messages are shown for public (canary) test sets.
 */
import { randomUUID } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Worker, type Job } from 'bullmq'
import type { Redis } from 'ioredis'
import { inferredPredictionKey, stopEvaluationChannel, type InferenceJobData } from '@spider-bench/contracts'
import { InferenceError, ModelRunner, parseAlgorithmConfig, type ExecutionProvider, type SeriesTimings } from '@spider-bench/inference'
import { InputFault, isTerminal } from '@spider-bench/evaluation'
import type { LocalFile } from '@spider-bench/storage'
import type { WorkerContext } from '../context.ts'
import { loadInferenceConfig, providersFor, type InferenceWorkerConfig } from './inference-config.ts'
import { workerOptions } from './worker-options.ts'

export interface InferenceJobResult {
  readonly predictionKey?: string
  readonly skipped?: string
  readonly provider?: ExecutionProvider
  readonly timings?: SeriesTimings
}

/** Keeps the model of the submission being run loaded between its series; one model at a time. */
export class RunnerCache {
  private current: { submissionId: string; runner: ModelRunner; model: LocalFile } | null = null
  /** The evaluation whose series the model process is running now, if any. */
  running: string | null = null

  constructor(private readonly config: InferenceWorkerConfig) {}

  /**
   * The submission's runner. A new one holds a local copy of the model (`openModel`: from the
   * worker's cache with S3 storage) until it is closed, since a crashed model process restarts from it.
   */
  async get(
    submissionId: string,
    openModel: () => Promise<LocalFile>,
    algorithm: ReturnType<typeof parseAlgorithmConfig>,
  ): Promise<ModelRunner> {
    if (this.current?.submissionId === submissionId) return this.current.runner
    const previous = this.current
    this.current = null
    if (previous) void previous.runner.close().finally(() => previous.model.release())
    const model = await openModel()
    const runner = new ModelRunner({
      modelPath: model.path,
      config: algorithm,
      providers: providersFor(algorithm.executionProviders, this.config.providers),
      timeLimitMs: this.config.timeLimitMs,
      memoryLimitMb: this.config.memoryLimitMb,
      ...(this.config.threads > 0 ? { threads: this.config.threads } : {}),
    })
    this.current = { submissionId, runner, model }
    return runner
  }

  async close(): Promise<void> {
    const current = this.current
    this.current = null
    await current?.runner.close()
    await current?.model.release()
  }

  /** Kills the model process when it is running a series of this evaluation (cancel, watchdog). */
  async stop(evaluationId: string): Promise<boolean> {
    if (this.running !== evaluationId) return false
    await this.close()
    return true
  }
}

export async function execInferenceJob(ctx: WorkerContext, runners: RunnerCache, job: Job<InferenceJobData>): Promise<InferenceJobResult> {
  const { evaluationId, seriesId } = job.data
  const [evaluation, series] = await Promise.all([
    ctx.prisma.evaluation.findUnique({
      where: { id: evaluationId },
      select: {
        status: true,
        testSet: { select: { public: true } },
        submission: { select: { id: true, kind: true, storagePrefix: true, files: true, fileSha256: true, config: true } },
      },
    }),
    ctx.prisma.testSeries.findUnique({
      where: { id: seriesId },
      select: { name: true, imageKey: true, imageSha256: true, sequence: true },
    }),
  ])
  if (!evaluation) return { skipped: 'evaluation deleted' }
  if (!series) throw new Error(`test series ${seriesId} of evaluation ${evaluationId} does not exist`)
  if (isTerminal(evaluation.status)) return { skipped: `evaluation ${evaluation.status}` }
  const submission = evaluation.submission
  if (submission.kind !== 'algorithm') throw new InputFault(`submission ${submission.id} is not an algorithm submission`)
  const modelKey = (submission.files as { model?: unknown } | null)?.model
  if (typeof modelKey !== 'string') throw new InputFault(`submission ${submission.id} has no stored model`)
  // Validated at upload; parsed again so that a config stored by an older version fails clearly.
  const algorithm = parseAlgorithmConfig(submission.config, 'config.json')
  const visibility = evaluation.testSet.public ? 'public' : 'hidden'

  const predictionKey = inferredPredictionKey(submission.storagePrefix, evaluationId, series.name)
  const modelSha = (submission.fileSha256 as { model?: unknown } | null)?.model
  const runner = await runners.get(
    submission.id,
    () => ctx.storage.localFile(modelKey, typeof modelSha === 'string' ? { sha256: modelSha } : undefined),
    algorithm,
  )
  const image = await ctx.storage.localFile(series.imageKey, { sha256: series.imageSha256 })
  const imagePath = image.path
  const workDir = join(tmpdir(), `spider-inference-${randomUUID()}`)
  try {
    await mkdir(workDir, { recursive: true })
    const outPath = join(workDir, `${series.name}.mha`)
    let result
    runners.running = evaluationId
    try {
      result = await runner.predict({ imagePath, outPath, sequence: series.sequence })
    } catch (err) {
      // Cancelled or stopped by the watchdog while the model ran (its process was killed).
      const now = await ctx.prisma.evaluation.findUnique({ where: { id: evaluationId }, select: { status: true } })
      if (!now || isTerminal(now.status)) return { skipped: `evaluation ${now?.status ?? 'deleted'}` }
      if (err instanceof InferenceError) {
        // The full message (onnxruntime's text, server paths) is for the organisers' log only; participants get reportFor.
        ctx.log.warn(
          { evaluationId, series: visibility === 'public' ? series.name : seriesId, code: err.code, detail: err.message },
          'model failed on a series',
        )
        throw new InputFault(
          `algorithm failed on ${visibility === 'public' ? `public series ${series.name}` : 'a hidden test series'}: ` +
            err.reportFor(visibility),
        )
      }
      throw err
    } finally {
      runners.running = null
    }
    await ctx.storage.put(predictionKey, createReadStream(outPath))
    ctx.log.info(
      {
        evaluationId,
        seriesId,
        provider: result.provider,
        totalMs: Math.round(result.timings.total),
        onnxMs: Math.round(result.timings.onnx),
      },
      'series inferred',
    )
    return { predictionKey, provider: result.provider, timings: result.timings }
  } finally {
    await rm(workDir, { recursive: true, force: true })
    await image.release()
  }
}

/**
 * The inference worker, its model processes, and a subscription to stop requests (cancel,
 * watchdog): the model process running a series of a stopped evaluation is killed at once.
 */
export async function startInferenceWorker(
  ctx: WorkerContext,
  connection: Redis,
  prefix: string,
  config: InferenceWorkerConfig = loadInferenceConfig(),
): Promise<{ worker: Worker<InferenceJobData>; runners: RunnerCache; close(): Promise<void> }> {
  const runners = new RunnerCache(config)
  const subscriber = connection.duplicate()
  subscriber.on('error', (err) => ctx.log.warn({ err: err.message }, 'stop-evaluation subscription error'))
  subscriber.on('message', (_channel: string, evaluationId: string) => {
    void runners.stop(evaluationId).then((stopped) => {
      if (stopped) ctx.log.info({ evaluationId }, 'model process killed: the evaluation was stopped')
    })
  })
  await subscriber.subscribe(stopEvaluationChannel(prefix))
  // One model per GPU at a time: parallelism comes from more inference workers.
  const worker = new Worker<InferenceJobData>(
    ctx.names.inference,
    (job) => execInferenceJob(ctx, runners, job),
    workerOptions(ctx, connection, 'inference', 1),
  )
  return {
    worker,
    runners,
    async close() {
      await runners.close()
      await subscriber.quit().catch(() => subscriber.disconnect())
    },
  }
}
