/**
 * Deterministic job ids: adding a job that exists is a no-op in BullMQ, so re-enqueueing an
 * evaluation (reconciler, retry) never duplicates work. BullMQ ids may not contain ":".
 */
export const finalizeJobId = (evaluationId: string) => evaluationId
export const scoreSeriesJobId = (evaluationId: string, seriesId: string) => `${evaluationId}_${seriesId}`
export const inferenceJobId = (evaluationId: string, seriesId: string) => `${evaluationId}_${seriesId}`
