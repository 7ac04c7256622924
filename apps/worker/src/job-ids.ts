/**
 * Deterministic job ids: adding a job that exists is a no-op in BullMQ, so re-enqueueing an
 * evaluation (reconciler, retry) never duplicates work. Shared with the API (cancel).
 */
export { finalizeJobId, scoreSeriesJobId, inferenceJobId } from '@spider-bench/contracts'
