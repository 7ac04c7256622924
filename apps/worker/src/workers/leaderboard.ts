/**
 * Queue `leaderboard`: recomputes a phase's leaderboard after its ranking settings changed
 * (the API enqueues `recompute-leaderboard`; it never ranks inside a request). The new
 * snapshot is announced like a finalize job's, so every API process drops its cached board.
 */
import { Worker, type Job } from 'bullmq'
import type { Redis } from 'ioredis'
import type { LeaderboardJobData } from '@spider-bench/contracts'
import { recomputeLeaderboard } from '@spider-bench/evaluation'
import { RankingSettingsError } from '@spider-bench/leaderboard'
import type { WorkerContext } from '../context.ts'
import { workerOptions } from './worker-options.ts'

export async function execLeaderboardJob(ctx: WorkerContext, job: Job<LeaderboardJobData>): Promise<string> {
  const { phaseId } = job.data
  try {
    const snapshot = await recomputeLeaderboard(ctx.prisma, phaseId)
    ctx.onLeaderboard?.(phaseId)
    ctx.log.info(
      { phaseId, version: snapshot.version, executionMs: Date.now() - (job.processedOn ?? Date.now()) },
      'leaderboard recomputed',
    )
    return `leaderboard version ${snapshot.version}`
  } catch (err) {
    // Settings the API accepted but the ranking refuses (e.g. a profile changed since): the
    // organisers' to fix; retrying cannot help.
    if (err instanceof RankingSettingsError) {
      ctx.log.error({ err, phaseId }, 'leaderboard not recomputed: invalid ranking settings')
      return `leaderboard not recomputed: ${err.message}`
    }
    throw err
  }
}

export function startLeaderboardWorker(ctx: WorkerContext, connection: Redis): Worker<LeaderboardJobData> {
  return new Worker<LeaderboardJobData>(
    ctx.names.leaderboard,
    (job) => execLeaderboardJob(ctx, job),
    workerOptions(ctx, connection, 'scoring', 1),
  )
}
