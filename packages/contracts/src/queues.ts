/**
 * Queue names and job data shared by the producers (API, worker) and the consumers (worker).
 * Each queue has one module under queues/ owning its name, job name, job data, default job
 * options and the only function that adds its jobs. Job data carries ids only: never pixels,
 * paths to hidden data, or secrets.
 */
import { EVALUATION_QUEUE } from './queues/evaluation.ts'
import { FINALIZE_QUEUE } from './queues/finalize.ts'
import { INFERENCE_QUEUE } from './queues/inference.ts'
import { LEADERBOARD_QUEUE } from './queues/leaderboard.ts'
import { SCORE_SERIES_QUEUE } from './queues/score-series.ts'

export * from './queues/evaluation.ts'
export * from './queues/finalize.ts'
export * from './queues/inference.ts'
export * from './queues/leaderboard.ts'
export * from './queues/score-series.ts'

export const QUEUE_NAMES = {
  /** One job per evaluation; its processor expands it into a flow of per-series jobs. */
  evaluation: EVALUATION_QUEUE,
  /** One job per (evaluation, series): scores one series. */
  scoreSeries: SCORE_SERIES_QUEUE,
  /** Parent job of a flow: aggregates and updates the leaderboard. */
  finalize: FINALIZE_QUEUE,
  /** Runs an algorithm (ONNX model) on one series; consumed only by `worker --inference`. */
  inference: INFERENCE_QUEUE,
  /** Recomputes a phase's leaderboard after its ranking settings changed. */
  leaderboard: LEADERBOARD_QUEUE,
} as const

export type QueueName = (typeof QUEUE_NAMES)[keyof typeof QUEUE_NAMES]

/** A queue-name prefix lets tests run on private queues (`test-<uuid>`) against a shared Redis. */
export function queueName(base: QueueName, prefix = process.env.SPIDER_QUEUE_PREFIX ?? ''): string {
  return prefix ? `${prefix}-${base}` : base
}
