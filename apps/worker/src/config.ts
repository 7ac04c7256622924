import { availableParallelism } from 'node:os'
import { loadInferenceLimits } from '@spider-bench/config'

/** Worker settings, read once from the environment and validated. */
export interface WorkerConfig {
  /** Series scored in parallel by this process (scoring threads and score jobs). */
  readonly concurrency: number
  /** BullMQ job lock; a job whose worker died is taken over after about this long. */
  readonly lockDurationMs: number
  /** How often the reconciler compares the database with Redis. */
  readonly reconcileIntervalMs: number
  /** Evaluations younger than this are left alone (the API may still be enqueueing them). */
  readonly reconcileGraceMs: number
  /**
   * The grace of the reconciliation run when the Redis connection comes back after an outage
   * (RECONCILE_RECONNECT_GRACE_MS; the smaller of this and reconcileGraceMs applies): evaluations
   * recorded while Redis was away were never enqueued, and a restarted Redis lost every job.
   */
  readonly reconcileReconnectGraceMs: number
  /**
   * Watchdog: a running evaluation with no progress (no series stored, no job started) for
   * longer than watchdogGraceMs + series x (watchdogSeriesMs, plus inferenceTimeLimitMs for an
   * algorithm) while none of its jobs waits in a queue is stopped as a system fault and
   * queued again once.
   */
  readonly watchdogGraceMs: number
  /** Allowance per series for reading and scoring (and, for algorithms, moving the mask). */
  readonly watchdogSeriesMs: number
  /** Per-series inference time limit the phase states (INFERENCE_TIME_LIMIT_MS). */
  readonly inferenceTimeLimitMs: number
  /**
   * JavaScript heap limit of each scoring thread, MB (SCORING_THREAD_MEMORY_MB). The scorer's
   * typed arrays live outside this heap; their size is bounded by the scorer itself.
   */
  readonly scoringThreadMemoryMb: number
  /**
   * Predictions with more distinct non-zero labels fail their series as an input fault
   * (MAX_PREDICTION_LABELS, as the API's upload check).
   */
  readonly maxPredictionLabels: number
}

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw.trim())
  if (!/^\d+$/.test(raw.trim()) || value < min || value > max) {
    throw new Error(`${name} must be a whole number >= ${min}${max < Number.MAX_SAFE_INTEGER ? ` and <= ${max}` : ''}, got "${raw}"`)
  }
  return value
}

export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<WorkerConfig> = {}): WorkerConfig {
  return {
    concurrency: positiveInt(env, 'WORKER_CONCURRENCY', availableParallelism()),
    lockDurationMs: positiveInt(env, 'WORKER_LOCK_MS', 30_000, 1000),
    reconcileIntervalMs: positiveInt(env, 'RECONCILE_INTERVAL_MS', 60_000, 100),
    reconcileGraceMs: positiveInt(env, 'RECONCILE_GRACE_MS', 30_000, 0),
    reconcileReconnectGraceMs: positiveInt(env, 'RECONCILE_RECONNECT_GRACE_MS', 2_000, 0),
    // The scorer's own heap stays near 10 MB on the 97 series of bench:score; the rest of a
    // thread's memory is typed arrays, bounded by the scorer (README, configuration).
    scoringThreadMemoryMb: positiveInt(env, 'SCORING_THREAD_MEMORY_MB', 256, 64),
    maxPredictionLabels: positiveInt(env, 'MAX_PREDICTION_LABELS', 1000, 1, 65_535),
    watchdogGraceMs: positiveInt(env, 'WATCHDOG_GRACE_MS', 300_000, 0),
    watchdogSeriesMs: positiveInt(env, 'WATCHDOG_SERIES_MS', 120_000, 1),
    inferenceTimeLimitMs: loadInferenceLimits(env).timeLimitMs,
    ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)),
  }
}
