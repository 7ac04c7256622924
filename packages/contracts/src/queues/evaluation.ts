/**
 * Queue `spider-evaluation`: one job per evaluation. Producers: the API (upload,
 * re-evaluation), the worker's canary promotion, reconciler and watchdog, all through
 * `addEvaluationJob`. Consumer: the worker's workers/evaluation.ts, which expands the job into
 * the evaluation's flow (queues/finalize.ts).
 */
import type { Queue } from 'bullmq'
import { KEEP_JOBS, SYSTEM_FAULT_RETRY, type EvaluationRef } from '../job-options.ts'

export const EVALUATION_QUEUE = 'spider-evaluation'
export const EVALUATE_JOB = 'evaluate'

export type EvaluationJobData = EvaluationRef

/** The job id is the evaluation id: adding an evaluation twice is a no-op. */
export const evaluationJobId = (evaluationId: string) => evaluationId

export function evaluationJobOptions(evaluationId: string) {
  return { jobId: evaluationJobId(evaluationId), ...SYSTEM_FAULT_RETRY, ...KEEP_JOBS }
}

/** Enqueues an evaluation (the only producer of this queue's jobs). */
export async function addEvaluationJob(queue: Queue, evaluationId: string, options: { readonly delay?: number } = {}): Promise<void> {
  const data: EvaluationJobData = { evaluationId }
  await queue.add(EVALUATE_JOB, data, { ...evaluationJobOptions(evaluationId), ...options })
}
