import type { PrismaClient } from '@spider-bench/db'
import { ACTIVE_STATUSES, statusIn } from '@spider-bench/evaluation'
import type { QuotaView } from '../schemas/quota.ts'
import type { AuthUser } from '../types.ts'
import { findPhase } from './challenges.ts'
import { limitState } from './submission-rules.ts'

/**
 * The caller's standing in a phase, as the admission checks of a submission see it: counted
 * submissions in the limit's window (all counted submissions when the phase has no limit;
 * rejected uploads and system failures are not counted), what
 * remains, the earliest time of the next submission when it is not now (the limit, or the
 * phase not open yet), and the submission queued or running that blocks a new one.
 */
export async function phaseQuota(
  db: PrismaClient,
  user: AuthUser,
  challengeSlug: string,
  phaseSlug: string,
  now = new Date(),
): Promise<QuotaView> {
  const phase = await findPhase(db, challengeSlug, phaseSlug)
  const active = await db.submission.findFirst({
    where: { phaseId: phase.id, participantId: user.id, status: statusIn(ACTIVE_STATUSES) },
    orderBy: { createdAt: 'desc' },
    select: { id: true },
  })
  const limit =
    phase.submissionLimitCount != null && phase.submissionLimitPeriodHours != null
      ? { count: phase.submissionLimitCount, periodHours: phase.submissionLimitPeriodHours }
      : null
  const opensLater = phase.opensAt && phase.opensAt > now ? phase.opensAt : null
  const base = { limit, activeSubmissionId: active?.id ?? null }
  if (!limit) {
    const used = await db.submission.count({ where: { phaseId: phase.id, participantId: user.id, countsTowardLimit: true } })
    return { ...base, used, remaining: null, nextAt: opensLater?.toISOString() ?? null }
  }
  const since = new Date(now.getTime() - limit.periodHours * 3_600_000)
  const recent = await db.submission.findMany({
    where: { phaseId: phase.id, participantId: user.id, countsTowardLimit: true, createdAt: { gt: since } },
    select: { createdAt: true },
  })
  const state = limitState(
    limit,
    recent.map((r) => r.createdAt),
    now,
  )
  const next = [state.nextAt, opensLater].filter((d): d is Date => d !== null).sort((a, b) => b.getTime() - a.getTime())[0] ?? null
  return { ...base, used: state.used, remaining: state.remaining, nextAt: next?.toISOString() ?? null }
}
