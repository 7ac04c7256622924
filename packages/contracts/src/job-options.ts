/**
 * Job options shared by every producer of evaluation jobs (API upload, re-evaluation routes,
 * the worker's reconciler), so that a job id is always the evaluation id (adding twice is a
 * no-op) and system faults are retried with exponential backoff.
 */
export const SYSTEM_FAULT_RETRY = { attempts: 5, backoff: { type: 'exponential', delay: 2000 } } as const

/** Failed jobs stay a week for inspection; completed ones go, freeing their id. */
const KEEP = { removeOnComplete: true, removeOnFail: { age: 7 * 24 * 3600 } } as const

export function evaluationJobOptions(evaluationId: string) {
  return { jobId: evaluationId, ...SYSTEM_FAULT_RETRY, ...KEEP }
}
