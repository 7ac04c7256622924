/**
 * Queue `spider-leaderboard`: one `recompute-leaderboard` job per change of a phase's ranking
 * settings (the API enqueues; it never ranks inside a request). Consumer: the worker's
 * workers/leaderboard.ts, which stores a new snapshot and announces it on the leaderboard
 * channel (events.ts). Finished evaluations recompute in their finalize job instead.
 */
import { randomUUID } from 'node:crypto'
import type { Queue } from 'bullmq'
import { KEEP_JOBS, SYSTEM_FAULT_RETRY } from '../job-options.ts'

export const LEADERBOARD_QUEUE = 'spider-leaderboard'
export const RECOMPUTE_LEADERBOARD_JOB = 'recompute-leaderboard'

export interface LeaderboardJobData {
  readonly phaseId: string
}

/**
 * One job, hence one new snapshot, per call: a job id per change (not per phase) so that a
 * change made while an earlier recompute runs still gets a snapshot reflecting it.
 */
export async function addLeaderboardRecompute(queue: Queue, phaseId: string): Promise<void> {
  const data: LeaderboardJobData = { phaseId }
  await queue.add(RECOMPUTE_LEADERBOARD_JOB, data, { jobId: `recompute_${phaseId}_${randomUUID()}`, ...SYSTEM_FAULT_RETRY, ...KEEP_JOBS })
}
