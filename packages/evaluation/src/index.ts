/**
 * The domain layer shared by the API, the worker and the CLI: what they all do to the
 * database and the queues. Apps import this package; they never import each other.
 */
export * from './status.ts'
export * from './faults.ts'
export * from './evaluations.ts'
export type { Log } from './log.ts'
export { recomputeLeaderboard, type SnapshotSummary } from './leaderboard/recompute.ts'
export { candidateCounts, candidateMetrics } from './leaderboard/candidate-metrics.ts'
export * from './users.ts'
export { hashToken, looksLikeToken } from './tokens.ts'
