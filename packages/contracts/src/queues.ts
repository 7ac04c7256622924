/**
 * Queue names and job data shared by the API (producer) and the workers (consumers).
 * Job data carries ids only: never pixels, paths to hidden data, or secrets.
 */
export const QUEUE_NAMES = {
  /** One job per evaluation; its processor expands it into a flow of per-series jobs. */
  evaluation: 'spider-evaluation',
  /** One job per (evaluation, series): scores one series. */
  scoreSeries: 'spider-score-series',
  /** Parent job of a flow: aggregates and updates the leaderboard. */
  finalize: 'spider-finalize',
  /** Runs an algorithm (ONNX model) on one series; consumed only by `worker --inference`. */
  inference: 'spider-inference',
} as const

export type QueueName = (typeof QUEUE_NAMES)[keyof typeof QUEUE_NAMES]

export interface EvaluationJobData {
  readonly evaluationId: string
  readonly traceId?: string
}

export interface ScoreSeriesJobData {
  readonly evaluationId: string
  readonly seriesId: string
  readonly traceId?: string
}

export interface FinalizeJobData {
  readonly evaluationId: string
  readonly traceId?: string
}

export interface InferenceJobData {
  readonly evaluationId: string
  readonly seriesId: string
  readonly traceId?: string
}

/** A queue-name prefix lets tests run on private queues (`test-<uuid>`) against a shared Redis. */
export function queueName(base: QueueName, prefix = process.env.SPIDER_QUEUE_PREFIX ?? ''): string {
  return prefix ? `${prefix}-${base}` : base
}
