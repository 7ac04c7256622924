/**
 * Options every spider-bench job shares; each queue's module (queues/*.ts) builds its own
 * from these. System faults are retried with exponential backoff.
 */
export const SYSTEM_FAULT_RETRY = { attempts: 5, backoff: { type: 'exponential', delay: 2000 } } as const

/** Failed jobs stay a week for inspection; completed ones go, freeing their id. */
export const KEEP_JOBS = { removeOnComplete: true, removeOnFail: { age: 7 * 24 * 3600 } } as const

/** What the jobs of an evaluation carry: ids only (never pixels, paths or secrets). */
export interface EvaluationRef {
  readonly evaluationId: string
  readonly traceId?: string
}

/** What the jobs of one series of an evaluation carry. */
export interface SeriesRef extends EvaluationRef {
  readonly seriesId: string
}

/** Options of a flow child (a series' score or inference job): its failure fails its parent. */
export function flowChildOptions(jobId: string) {
  return { jobId, ...SYSTEM_FAULT_RETRY, ...KEEP_JOBS, failParentOnFailure: true }
}

/** A series' job id (BullMQ ids may not contain ":"); its score and inference jobs share it, in their queues. */
export const seriesJobId = (evaluationId: string, seriesId: string) => `${evaluationId}_${seriesId}`
