/**
 * Evaluation workers: `startWorkers` runs the three queues' workers, the scoring thread pool
 * and the reconciler in this process. `spider-bench serve` calls it next to the API;
 * `spider-bench worker` runs it alone (start one per machine to scale out).
 */
import { hostname } from 'node:os'
import { FlowProducer, Queue, type Job, type Worker } from 'bullmq'
import { Redis } from 'ioredis'
import type { Logger } from 'pino'
import { defaultLogger } from '@spider-bench/config'
import {
  JOB_TIMINGS_KEEP,
  JOB_TIMINGS_TTL_SECONDS,
  jobTimingsKey,
  leaderboardChannel,
  QUEUE_NAMES,
  queueName,
  stopEvaluationChannel,
  workerName,
  type JobTiming,
} from '@spider-bench/contracts'
import type { PrismaClient } from '@spider-bench/db'
import type { Storage } from '@spider-bench/storage'
import { loadWorkerConfig, type WorkerConfig } from './config.ts'
import type { WorkerContext } from './context.ts'
import { failureHandler } from './failure-handler.ts'
import { ScoringPool } from './processors/scoring-pool.ts'
import { reconcile, type ReconcileReport } from './reconciler.ts'
import { watchdog, type WatchdogReport } from './watchdog.ts'
import { startEvaluationWorker } from './workers/evaluation.ts'
import { startFinalizeWorker } from './workers/finalize.ts'
import { startLeaderboardWorker } from './workers/leaderboard.ts'
import { startScoreSeriesWorker } from './workers/score-series.ts'

export { loadWorkerConfig, type WorkerConfig } from './config.ts'
export { reconcile, type ReconcileReport } from './reconciler.ts'
export { watchdog, type WatchdogReport } from './watchdog.ts'
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
  /** Body of the scoring threads (module URL); tests pass a stand-in. Default: the scorer. */
  readonly scoringThreadModule?: string
}

export interface RunningWorkers {
  readonly config: WorkerConfig
  /** Runs the reconciler now (it also runs at start and every reconcileIntervalMs). */
  reconcile(graceMs?: number): Promise<ReconcileReport>
  /** Runs the watchdog now (it also runs after every reconciler run). */
  watchdog(): Promise<WatchdogReport>
  /** Stops taking jobs, lets running ones finish, closes queues, threads and Redis. */
  close(): Promise<void>
}

/** After Redis comes back, the reconciler runs this much later (the workers' own connections reconnect meanwhile). */
const RECONNECT_SETTLE_MS = 1000

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
  const log = options.logger ?? defaultLogger({ name: 'worker' })
  const prefix = options.queuePrefix ?? process.env.SPIDER_QUEUE_PREFIX ?? ''
  // BullMQ needs maxRetriesPerRequest: null; workers duplicate this for their blocking reads.
  const connection = new Redis(options.redisUrl, { maxRetriesPerRequest: null })
  connection.on('error', (err) => log.warn({ err: err.message }, 'redis connection error'))
  const names = {
    evaluation: queueName(QUEUE_NAMES.evaluation, prefix),
    scoreSeries: queueName(QUEUE_NAMES.scoreSeries, prefix),
    finalize: queueName(QUEUE_NAMES.finalize, prefix),
    inference: queueName(QUEUE_NAMES.inference, prefix),
    leaderboard: queueName(QUEUE_NAMES.leaderboard, prefix),
  }
  const queues = {
    evaluation: new Queue(names.evaluation, { connection }),
    scoreSeries: new Queue(names.scoreSeries, { connection }),
    finalize: new Queue(names.finalize, { connection }),
    inference: new Queue(names.inference, { connection }),
  }
  // Workers are named by role (Queue.getWorkers() lists them), so the API can tell a
  // participant that no inference worker is connected instead of showing a silent "running".
  const host = hostname()
  const ctx: WorkerContext = {
    prisma: options.prisma,
    storage: options.storage,
    pool: new ScoringPool(config.concurrency, { memoryMb: config.scoringThreadMemoryMb, threadModule: options.scoringThreadModule }),
    flows: new FlowProducer({ connection }),
    queues,
    names,
    config,
    log,
    workerName: (role, concurrency) => workerName({ role, host, pid: process.pid, concurrency }),
    async stopEvaluation(evaluationId) {
      await connection
        .publish(stopEvaluationChannel(prefix), evaluationId)
        .catch((err: Error) => log.warn({ err: err.message, evaluationId }, 'could not ask the workers to stop an evaluation'))
    },
    onLeaderboard(phaseId) {
      options.onLeaderboard?.(phaseId)
      // API processes drop their cached board on this; they also expire it by themselves.
      connection
        .publish(leaderboardChannel(prefix), phaseId)
        .catch((err: Error) => log.warn({ err: err.message }, 'could not announce the new leaderboard'))
    },
  }
  // Threads load the scorer now rather than during the first evaluation, before any job is
  // taken: threads that cannot load it within SCORING_THREAD_MEMORY_MB stop the start here.
  try {
    await ctx.pool.warm()
  } catch (err) {
    await ctx.pool.close()
    await ctx.flows.close()
    await Promise.all(Object.values(queues).map((q) => q.close()))
    await connection.quit().catch(() => connection.disconnect())
    throw err
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
    const started = await startInferenceWorker(ctx, connection, prefix)
    workers.push([started.worker, 'inference'])
    inference = started
  }
  // Leaderboards after a change of ranking settings (the API enqueues them); a failure here
  // fails no evaluation, so it has no failure handler.
  const leaderboard = startLeaderboardWorker(ctx, connection)
  leaderboard.on('failed', (job, err) =>
    log.warn({ queue: 'leaderboard', jobId: job?.id, phaseId: job?.data.phaseId, err: err.message }, 'job failed'),
  )
  leaderboard.on('error', (err) => log.warn({ queue: 'leaderboard', err: err.message }, 'worker error'))
  // Deferred fallback records of failed flows; dropped at close (the reconciler covers them).
  const pendingFailures = new Set<NodeJS.Timeout>()
  for (const [worker, queue] of workers) {
    const onFailed = failureHandler(ctx, queue, pendingFailures)
    const timings = jobTimingsKey(worker.name)
    worker.on('completed', (job) => {
      log.info(jobLogFields(queue, job), 'job completed')
      // Recent wait and run times, for GET /api/v1/status and queue-position estimates.
      if (job.processedOn === undefined || job.finishedOn === undefined) return
      const timing: JobTiming = {
        at: job.finishedOn,
        waitMs: Math.max(0, job.processedOn - job.timestamp),
        runMs: job.finishedOn - job.processedOn,
      }
      connection
        .multi()
        .lpush(timings, JSON.stringify(timing))
        .ltrim(timings, 0, JOB_TIMINGS_KEEP - 1)
        .expire(timings, JOB_TIMINGS_TTL_SECONDS)
        .exec()
        .catch((err: Error) => log.warn({ err: err.message }, 'could not record job timings'))
    })
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
  const runWatchdog = (): Promise<WatchdogReport> => {
    const run = reconciling.then(() => watchdog(ctx))
    reconciling = run.catch((err: unknown) => log.warn({ err: (err as Error).message }, 'watchdog failed; next run in a minute'))
    return run
  }
  void runReconcile().catch(() => undefined)
  // Redis back after an outage (a restart without persistence loses every job): reconcile
  // now rather than at the next tick of the timer, once the other connections had a moment to
  // come back too. Evaluations recorded while Redis was away (the API could not enqueue them)
  // are included: the grace then is RECONCILE_RECONNECT_GRACE_MS at most.
  let redisLost = false
  let reconnectTimer: NodeJS.Timeout | null = null
  connection.on('reconnecting', () => {
    redisLost = true
  })
  connection.on('ready', () => {
    if (!redisLost) return
    redisLost = false
    if (reconnectTimer) clearTimeout(reconnectTimer)
    reconnectTimer = setTimeout(() => {
      reconnectTimer = null
      log.info('redis is back: reconciling the database with Redis now')
      void runReconcile(Math.min(config.reconcileGraceMs, config.reconcileReconnectGraceMs)).catch(() => undefined)
    }, RECONNECT_SETTLE_MS)
  })
  const timer = setInterval(() => {
    void runReconcile().catch(() => undefined)
    void runWatchdog().catch(() => undefined)
  }, config.reconcileIntervalMs)
  log.info({ concurrency: config.concurrency, queues: names }, 'workers started')

  let closing: Promise<void> | null = null
  return {
    config,
    reconcile: runReconcile,
    watchdog: runWatchdog,
    close() {
      closing ??= (async () => {
        clearInterval(timer)
        if (reconnectTimer) clearTimeout(reconnectTimer)
        for (const t of pendingFailures) clearTimeout(t)
        // Workers first: close() waits for the running jobs to finish.
        await Promise.all([...workers.map(([w]) => w.close()), leaderboard.close()])
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
