/**
 * Evaluation workers: `startWorkers` runs the three queues' workers, the scoring thread pool
 * and the reconciler in this process. `spider-bench serve` calls it next to the API;
 * `spider-bench worker` runs it alone (start one per machine to scale out).
 */
import { FlowProducer, Queue, type Job, type Worker } from 'bullmq'
import { Redis } from 'ioredis'
import { pino, type Logger } from 'pino'
import { leaderboardChannel, QUEUE_NAMES, queueName } from '@spider-bench/contracts'
import type { PrismaClient } from '@spider-bench/db'
import type { Storage } from '@spider-bench/storage'
import { loadWorkerConfig, type WorkerConfig } from './config.ts'
import type { WorkerContext } from './context.ts'
import { failureHandler } from './failure-handler.ts'
import { ScoringPool } from './processors/scoring-pool.ts'
import { reconcile, type ReconcileReport } from './reconciler.ts'
import { startEvaluationWorker } from './workers/evaluation.ts'
import { startFinalizeWorker } from './workers/finalize.ts'
import { startScoreSeriesWorker } from './workers/score-series.ts'

export { loadWorkerConfig, type WorkerConfig } from './config.ts'
export { recomputeLeaderboard, type SnapshotSummary } from './leaderboard/recompute.ts'
export { reconcile, type ReconcileReport } from './reconciler.ts'
export { InputFault } from './faults.ts'
export type { WorkerContext } from './context.ts'

export interface StartWorkersOptions {
  readonly prisma: PrismaClient
  readonly storage: Storage
  readonly redisUrl: string
  /** Queue-name prefix (tests); default SPIDER_QUEUE_PREFIX or none. */
  readonly queuePrefix?: string
  /** Overrides of the environment's worker settings (WORKER_CONCURRENCY, ...). */
  readonly config?: Partial<WorkerConfig>
  readonly logger?: Logger
  /** Also consume the inference queue (algorithm submissions; see workers/inference.ts). */
  readonly inference?: boolean
  /** Called after every stored leaderboard snapshot of a phase. */
  readonly onLeaderboard?: (phaseId: string) => void
}

export interface RunningWorkers {
  readonly config: WorkerConfig
  /** Runs the reconciler now (it also runs at start and every reconcileIntervalMs). */
  reconcile(graceMs?: number): Promise<ReconcileReport>
  /** Stops taking jobs, lets running ones finish, closes queues, threads and Redis. */
  close(): Promise<void>
}

/** Every job log line carries the job and evaluation ids, its attempts and its durations. */
function jobLogFields(queue: string, job: Job<{ evaluationId?: string; seriesId?: string; traceId?: string }>) {
  return {
    queue,
    jobId: job.id,
    evaluationId: job.data.evaluationId,
    ...(job.data.seriesId ? { seriesId: job.data.seriesId } : {}),
    ...(job.data.traceId ? { traceId: job.data.traceId } : {}),
    attempts: job.attemptsMade,
    queuedMs: job.processedOn !== undefined ? job.processedOn - job.timestamp : undefined,
    executionMs: job.finishedOn !== undefined && job.processedOn !== undefined ? job.finishedOn - job.processedOn : undefined,
  }
}

export async function startWorkers(options: StartWorkersOptions): Promise<RunningWorkers> {
  const config = loadWorkerConfig(process.env, options.config)
  const log = options.logger ?? pino({ name: 'worker' })
  const prefix = options.queuePrefix ?? process.env.SPIDER_QUEUE_PREFIX ?? ''
  // BullMQ needs maxRetriesPerRequest: null; workers duplicate this for their blocking reads.
  const connection = new Redis(options.redisUrl, { maxRetriesPerRequest: null })
  connection.on('error', (err) => log.warn({ err: err.message }, 'redis connection error'))
  const names = {
    evaluation: queueName(QUEUE_NAMES.evaluation, prefix),
    scoreSeries: queueName(QUEUE_NAMES.scoreSeries, prefix),
    finalize: queueName(QUEUE_NAMES.finalize, prefix),
    inference: queueName(QUEUE_NAMES.inference, prefix),
  }
  const queues = {
    evaluation: new Queue(names.evaluation, { connection }),
    scoreSeries: new Queue(names.scoreSeries, { connection }),
    finalize: new Queue(names.finalize, { connection }),
  }
  const ctx: WorkerContext = {
    prisma: options.prisma,
    storage: options.storage,
    pool: new ScoringPool(config.concurrency),
    flows: new FlowProducer({ connection }),
    queues,
    names,
    config,
    log,
    onLeaderboard(phaseId) {
      options.onLeaderboard?.(phaseId)
      // API processes drop their cached board on this; they also expire it by themselves.
      connection.publish(leaderboardChannel(prefix), phaseId).catch((err: Error) => log.warn({ err: err.message }, 'could not announce the new leaderboard'))
    },
  }
  const workers: Array<[Worker, 'evaluation' | 'scoreSeries' | 'finalize' | 'inference']> = [
    [startEvaluationWorker(ctx, connection), 'evaluation'],
    [startScoreSeriesWorker(ctx, connection), 'scoreSeries'],
    [startFinalizeWorker(ctx, connection), 'finalize'],
  ]
  // Loaded only with the inference role, so CPU-only workers never load onnxruntime.
  let inference: { close(): Promise<void> } | null = null
  if (options.inference) {
    const { startInferenceWorker } = await import('./workers/inference.ts')
    const started = startInferenceWorker(ctx, connection)
    workers.push([started.worker, 'inference'])
    inference = started.runners
  }
  // Deferred fallback records of failed flows; dropped at close (the reconciler covers them).
  const pendingFailures = new Set<NodeJS.Timeout>()
  for (const [worker, queue] of workers) {
    const onFailed = failureHandler(ctx, queue, pendingFailures)
    worker.on('completed', (job) => log.info(jobLogFields(queue, job), 'job completed'))
    worker.on('failed', (job, err) => {
      log.warn({ ...(job ? jobLogFields(queue, job) : { queue }), err: err.message }, 'job failed')
      void onFailed(job, err)
    })
    worker.on('error', (err) => log.warn({ queue, err: err.message }, 'worker error'))
  }

  let reconciling: Promise<unknown> = Promise.resolve()
  const runReconcile = (graceMs?: number): Promise<ReconcileReport> => {
    const run = reconciling.then(() => reconcile(ctx, graceMs))
    reconciling = run.catch((err: unknown) => log.warn({ err: (err as Error).message }, 'reconciler failed; next run in a minute'))
    return run
  }
  // Threads load the scorer now rather than during the first evaluation.
  await ctx.pool.warm()
  void runReconcile().catch(() => undefined)
  const timer = setInterval(() => void runReconcile().catch(() => undefined), config.reconcileIntervalMs)
  log.info({ concurrency: config.concurrency, queues: names }, 'workers started')

  let closing: Promise<void> | null = null
  return {
    config,
    reconcile: runReconcile,
    close() {
      closing ??= (async () => {
        clearInterval(timer)
        for (const t of pendingFailures) clearTimeout(t)
        // Workers first: close() waits for the running jobs to finish.
        await Promise.all(workers.map(([w]) => w.close()))
        await inference?.close()
        await reconciling.catch(() => undefined)
        await ctx.pool.close()
        await ctx.flows.close()
        await Promise.all(Object.values(queues).map((q) => q.close()))
        await connection.quit().catch(() => connection.disconnect())
        log.info('workers stopped')
      })()
      return closing
    },
  }
}
