/**
 * Queue `spider-inference`: runs an algorithm (ONNX model) on one series; the child of that
 * series' score job in the evaluation's flow (queues/finalize.ts). Consumed only by
 * `worker --inference` (the worker's workers/inference.ts), whose result `{ predictionKey }`
 * the score job reads from its children's values.
 */
import type { FlowJob } from 'bullmq'
import { flowChildOptions, seriesJobId, type SeriesRef } from '../job-options.ts'

export const INFERENCE_QUEUE = 'spider-inference'
export const INFER_JOB = 'infer'

export type InferenceJobData = SeriesRef

/** The same id as the series' score job (a different queue). */
export const inferenceJobId = seriesJobId

export function inferenceFlowJob(queueName: string, data: InferenceJobData): FlowJob {
  return {
    name: INFER_JOB,
    queueName,
    data,
    opts: flowChildOptions(inferenceJobId(data.evaluationId, data.seriesId)),
  }
}
