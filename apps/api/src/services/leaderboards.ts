import { EventEmitter } from 'node:events'
import type { FastifyInstance } from 'fastify'
import { leaderboardChannel } from '@spider-bench/contracts'
import type { PrismaClient } from '@spider-bench/db'
import { isProfileName, profileMetrics } from '@spider-bench/scoring'
import { recomputeLeaderboard } from '@spider-bench/worker'
import { badRequest } from '../errors.ts'
import type { LeaderboardView } from '../schemas/leaderboard.ts'
import { findPhase } from './challenges.ts'

type Row = LeaderboardView['rows'][number]
type Column = LeaderboardView['columns'][number]

/** Parses `?at=`; a clear 400 on anything that is not a date-time. */
export function parseAt(at: string | undefined): Date | null {
  if (at === undefined) return null
  const d = new Date(at)
  if (at.trim() === '' || Number.isNaN(d.getTime())) throw badRequest(`at is not a valid ISO date-time: "${at}"`)
  return d
}

/**
 * The snapshot of the phase in force at `at` (the newest computed at or before it; the
 * newest of all without `at`). No snapshot yet: an empty board under the current settings.
 */
export async function getLeaderboard(db: PrismaClient, challengeSlug: string, phaseSlug: string, at: Date | null): Promise<LeaderboardView> {
  const phase = await findPhase(db, challengeSlug, phaseSlug)
  const snapshot = await db.leaderboardSnapshot.findFirst({
    where: { phaseId: phase.id, ...(at ? { computedAt: { lte: at } } : {}) },
    orderBy: { version: 'desc' },
  })
  const specs = isProfileName(phase.scoringProfile) ? profileMetrics(phase.scoringProfile) : []
  const metricOrder = specs.map((s) => ({ key: s.key, order: s.order }))
  if (!snapshot) {
    return {
      challenge: challengeSlug,
      phase: phaseSlug,
      method: phase.rankingMethod,
      entries: phase.entries,
      columns: phase.rankingMetrics as Column[],
      metricOrder,
      computedAt: null,
      version: 0,
      scorerVersion: null,
      testSetVersion: null,
      rows: [],
    }
  }
  // jsonb does not keep key order: give the metrics back in the profile's order.
  const rows = (snapshot.rows as unknown as Row[]).map((r) => ({
    ...r,
    metrics: Object.fromEntries([...specs.map((s) => [s.key, r.metrics[s.key] ?? null]), ...Object.entries(r.metrics).filter(([k]) => !specs.some((s) => s.key === k))]),
  }))
  return {
    challenge: challengeSlug,
    phase: phaseSlug,
    method: snapshot.method,
    entries: snapshot.entries,
    columns: snapshot.columns as unknown as Column[],
    metricOrder,
    computedAt: snapshot.computedAt.toISOString(),
    version: snapshot.version,
    scorerVersion: snapshot.scorerVersion,
    testSetVersion: snapshot.testSetVersion,
    rows,
  }
}

interface RankingUpdate {
  readonly scoringProfile?: string
  readonly ranking?: { readonly method: string; readonly metrics: unknown }
  readonly entries?: string
}

/** In-process signal that a board changed (the routes' cache listens; other processes hear Redis). */
export const leaderboardChanges = new EventEmitter()

/**
 * After a change of ranking settings (method, metrics, entries, profile): a new snapshot
 * under the new settings; earlier snapshots stay readable with `?at=`.
 */
export async function recomputeAfterSettingsChange(app: FastifyInstance, challengeSlug: string, phaseSlug: string, body: RankingUpdate): Promise<void> {
  if (body.ranking === undefined && body.entries === undefined && body.scoringProfile === undefined) return
  const phase = await findPhase(app.db, challengeSlug, phaseSlug)
  await recomputeLeaderboard(app.db, phase.id)
  leaderboardChanges.emit('changed', phase.id)
  await app.redis.publish(leaderboardChannel(app.config.queuePrefix), phase.id).catch((err: unknown) => app.log.warn({ err }, 'could not announce the new leaderboard'))
}
