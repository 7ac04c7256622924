/**
 * Recomputes a phase's leaderboard from the database and stores it as a new snapshot.
 * Runs after every finished evaluation and after every change of the ranking settings.
 */
import type { Prisma, PrismaClient } from '@spider-bench/db'
import { parseRankingSettings, parseStabilitySettings, rankLeaderboard, type Candidate } from '@spider-bench/leaderboard'
import { isProfileName, profileMetrics, SCORER_VERSION } from '@spider-bench/scoring'
import { STATUS } from '../status.ts'
import { candidateCounts, candidateMetrics } from './candidate-metrics.ts'
import { snapshotStability } from './snapshot-stability.ts'

export interface SnapshotSummary {
  readonly id: string
  readonly version: number
  readonly rows: number
}

/**
 * The newest successful evaluation of each submission of the phase (re-evaluations replace
 * older results), ranked under the phase's current settings. Serialised per phase by a
 * transaction-scoped advisory lock, so versions are gap-free and the newest snapshot always
 * reflects every evaluation committed before it started.
 */
export async function recomputeLeaderboard(prisma: PrismaClient, phaseId: string): Promise<SnapshotSummary> {
  return prisma.$transaction(
    async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`leaderboard:${phaseId}`}))`
      const phase = await tx.phase.findUnique({ where: { id: phaseId } })
      if (!phase) throw new Error(`phase ${phaseId} does not exist`)
      if (!isProfileName(phase.scoringProfile)) throw new Error(`phase ${phaseId}: unknown scoring profile "${phase.scoringProfile}"`)
      const specs = profileMetrics(phase.scoringProfile)
      const settings = parseRankingSettings(
        { method: phase.rankingMethod, entries: phase.entries, columns: phase.rankingMetrics },
        specs.map((s) => s.key),
      )
      const stabilitySettings = parseStabilitySettings({ samples: phase.bootstrapSamples, alpha: phase.significanceLevel })
      const evaluations = await tx.evaluation.findMany({
        where: { status: STATUS.succeeded, testSet: { public: false }, submission: { phaseId, status: { not: STATUS.cancelled } } },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        select: {
          id: true,
          submissionId: true,
          aggregates: true,
          scorerVersion: true,
          testSet: { select: { version: true } },
          submission: { select: { createdAt: true, participant: { select: { name: true } } } },
        },
      })
      const newest = new Map<string, (typeof evaluations)[number]>()
      for (const e of evaluations) if (!newest.has(e.submissionId)) newest.set(e.submissionId, e)
      const candidates: Candidate[] = [...newest.values()].map((e) => ({
        submissionId: e.submissionId,
        participant: e.submission.participant.name,
        createdAt: e.submission.createdAt.toISOString(),
        metrics: candidateMetrics(specs, e.aggregates),
      }))
      // Each row also records over how many series each value was computed, so that the API can
      // withhold values over too few series where per-series results are for the organisers.
      const rows = rankLeaderboard(candidates, settings).map((row) => ({
        ...row,
        counts: candidateCounts(specs, newest.get(row.submissionId)?.aggregates),
      }))
      const used = [...newest.values()].filter((e) => rows.some((r) => r.submissionId === e.submissionId))
      const scorerVersions = [...new Set(used.map((e) => e.scorerVersion))].sort()
      const testSetVersions = used.map((e) => e.testSet.version)
      const last = await tx.leaderboardSnapshot.findFirst({ where: { phaseId }, orderBy: { version: 'desc' }, select: { version: true } })
      const version = (last?.version ?? 0) + 1
      // How sure each rank is: bootstrap of the test series and pairwise tests, computed once
      // here so that the read path only serves them.
      const stability = await snapshotStability(tx, {
        phaseId,
        version,
        rows,
        evaluationOf: new Map([...newest.values()].map((e) => [e.submissionId, e.id])),
        ranking: settings,
        settings: stabilitySettings,
      })
      const uncertainRows = rows.map((row, i) => {
        const { medianRank, rankInterval, pFirst } = stability.entries[i]
        return { ...row, uncertainty: { medianRank, rankInterval, pFirst } }
      })
      const snapshot = await tx.leaderboardSnapshot.create({
        data: {
          phaseId,
          version,
          method: settings.method,
          entries: settings.entries,
          // The ranking metrics, most important first; rows carry every metric of the profile.
          columns: settings.columns as unknown as Prisma.InputJsonValue,
          rows: uncertainRows as unknown as Prisma.InputJsonValue,
          // Mixed versions only while a re-evaluation is in progress; all are recorded.
          scorerVersion: scorerVersions.length > 0 ? scorerVersions.join(',') : SCORER_VERSION,
          testSetVersion: testSetVersions.length > 0 ? Math.max(...testSetVersions) : null,
          settings: {
            method: settings.method,
            entries: settings.entries,
            rankingMetrics: settings.columns,
            bootstrapSamples: stabilitySettings.samples,
            significanceLevel: stabilitySettings.alpha,
          } as unknown as Prisma.InputJsonValue,
          stability: stability as unknown as Prisma.InputJsonValue,
        },
        select: { id: true, version: true },
      })
      return { ...snapshot, rows: rows.length }
    },
    { timeout: 30_000, maxWait: 30_000 },
  )
}
