import type { PrismaClient } from '@spider-bench/db'
import { rankLeaderboard, type RankingMethod } from '@spider-bench/leaderboard'
import { SEQUENCES } from '@spider-bench/scoring'
import { badRequest } from '../errors.ts'
import type { LeaderboardView } from '../schemas/leaderboard.ts'
import { publicValueAllowed } from './aggregate-visibility.ts'
import { findPhase } from './challenges.ts'
import { getLeaderboard } from './leaderboards.ts'

/** One metric of a row as the public may see it: the mean, the spread (where allowed) and the series count. */
export interface PublicAggregate {
  readonly mean: number | null
  readonly std: number | null
  readonly count: number
}

export interface AggregateRow {
  readonly rank: number
  readonly participant: string
  readonly submissionId: string
  readonly createdAt: string
  readonly rankScore: number | null
  readonly metrics: Record<string, PublicAggregate | null>
  readonly withheld?: string[]
}

export interface LeaderboardAggregatesView {
  readonly challenge: string
  readonly phase: string
  readonly version: number
  readonly computedAt: string | null
  /** null: all series; else one sequence's series. */
  readonly sequence: string | null
  /** Sequences the entries' evaluations have results for. */
  readonly sequences: string[]
  /** From the snapshot's stability figures: entries not significantly worse than the leader(s) on the primary metric. */
  readonly tiedForFirst: string[]
  /** Their significance level; null when the snapshot has no stability figures. */
  readonly alpha: number | null
  readonly columns: LeaderboardView['columns']
  readonly rows: AggregateRow[]
}

/** Ties for first by snapshot (`phaseId/version`): snapshots never change once written. */
const tiesCache = new Map<string, { tiedForFirst: string[]; alpha: number | null }>()
const MAX_CACHED_TIES = 1000

/**
 * The ties for first of a snapshot, from its stored stability figures. The pairwise matrices
 * beside them hold entries² cells per metric, which the pages never need: the figures are read
 * once per snapshot and only the ties are kept.
 */
async function tiesOf(db: PrismaClient, phaseId: string, version: number): Promise<{ tiedForFirst: string[]; alpha: number | null }> {
  if (version === 0) return { tiedForFirst: [], alpha: null }
  const key = `${phaseId}/${version}`
  const hit = tiesCache.get(key)
  if (hit) return hit
  const row = await db.leaderboardSnapshot.findUnique({ where: { phaseId_version: { phaseId, version } }, select: { stability: true } })
  const stability = (row?.stability ?? null) as { tiedForFirst?: unknown; alpha?: unknown } | null
  const tied = stability?.tiedForFirst
  const ties = {
    tiedForFirst: Array.isArray(tied) ? tied.filter((t): t is string => typeof t === 'string') : [],
    alpha: typeof stability?.alpha === 'number' ? stability.alpha : null,
  }
  if (row) {
    if (tiesCache.size >= MAX_CACHED_TIES) tiesCache.delete(tiesCache.keys().next().value as string)
    tiesCache.set(key, ties)
  }
  return ties
}

/** Evaluation end times come from the worker's clock, snapshot times from the database's. */
const CLOCK_SLACK_MS = 5000

type Table = Record<string, { mean?: unknown; std?: unknown; count?: unknown } | undefined>
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null)

/**
 * The entries of the board in force at `at` with each metric's mean, standard deviation and
 * series count, over all series or over one sequence's (`sequence`, re-ranked by the board's
 * method and ranking metrics among the same entries). Values come from each entry's newest
 * successful evaluation on the hidden test set (finished by the snapshot's time, for `at`). Under
 * perSeriesVisibility "organisers" the public gets no spread and no value computed over fewer
 * than `minSeries` series (listed in `withheld`), as on the board itself.
 */
export async function getLeaderboardAggregates(
  db: PrismaClient,
  challengeSlug: string,
  phaseSlug: string,
  at: Date | null,
  sequence: string | null,
  minSeries: number,
): Promise<LeaderboardAggregatesView> {
  if (sequence !== null && !(SEQUENCES as readonly string[]).includes(sequence))
    throw badRequest(`sequence must be one of ${SEQUENCES.join(', ')}, got "${sequence}"`)
  const phase = await findPhase(db, challengeSlug, phaseSlug)
  const board = await getLeaderboard(db, challengeSlug, phaseSlug, at, minSeries)
  const ties = await tiesOf(db, phase.id, board.version)
  const head = {
    challenge: challengeSlug,
    phase: phaseSlug,
    version: board.version,
    computedAt: board.computedAt,
    sequence,
    columns: board.columns,
    ...ties,
  }
  if (board.rows.length === 0 || board.computedAt === null) return { ...head, sequences: [], rows: [] }
  const evaluations = await db.evaluation.findMany({
    where: {
      submissionId: { in: board.rows.map((r) => r.submissionId) },
      status: 'succeeded',
      testSet: { public: false },
      ...(at ? { finishedAt: { lte: new Date(Date.parse(board.computedAt) + CLOCK_SLACK_MS) } } : {}),
    },
    orderBy: [{ finishedAt: 'desc' }, { id: 'desc' }],
    select: { submissionId: true, aggregates: true, bySequence: true },
  })
  const newest = new Map<string, (typeof evaluations)[number]>()
  for (const e of evaluations) if (!newest.has(e.submissionId)) newest.set(e.submissionId, e)
  const present = new Set<string>()
  for (const e of newest.values()) for (const k of Object.keys((e.bySequence ?? {}) as object)) present.add(k)
  const keys = board.metricOrder.map((m) => m.key)
  const owner = phase.perSeriesVisibility === 'owner'
  const rows = board.rows.map((row) => {
    const e = newest.get(row.submissionId)
    const table = ((sequence === null ? e?.aggregates : ((e?.bySequence ?? {}) as Record<string, unknown>)[sequence]) ??
      null) as Table | null
    const withheld: string[] = []
    const metrics: Record<string, PublicAggregate | null> = {}
    for (const key of keys) {
      const cell = table?.[key]
      if (!cell) {
        metrics[key] = null
        continue
      }
      const count = typeof cell.count === 'number' ? cell.count : 0
      const mean = num(cell.mean)
      if (mean !== null && !publicValueAllowed(phase.perSeriesVisibility, count, minSeries)) {
        withheld.push(key)
        metrics[key] = { mean: null, std: null, count }
      } else {
        metrics[key] = { mean, std: owner ? num(cell.std) : null, count }
      }
    }
    return { row, metrics, withheld }
  })
  const sequences = SEQUENCES.filter((s) => present.has(s))
  if (sequence === null) {
    return {
      ...head,
      sequences,
      rows: rows.map(({ row, metrics, withheld }) => ({
        rank: row.rank,
        participant: row.participant,
        submissionId: row.submissionId,
        createdAt: row.createdAt,
        rankScore: row.rankScore,
        metrics,
        ...(withheld.length ? { withheld } : {}),
      })),
    }
  }
  // One sequence: the same entries ranked by that sequence's means.
  const byId = new Map(rows.map((r) => [r.row.submissionId, r]))
  const ranked = rankLeaderboard(
    rows.map(({ row, metrics }) => ({
      submissionId: row.submissionId,
      participant: row.participant,
      createdAt: row.createdAt,
      metrics: Object.fromEntries(keys.map((k) => [k, metrics[k]?.mean ?? null])),
    })),
    { method: board.method as RankingMethod, entries: 'all', columns: board.columns },
  )
  return {
    ...head,
    sequences,
    rows: ranked.map((r) => {
      const { metrics, withheld } = byId.get(r.submissionId) as (typeof rows)[number]
      return {
        rank: r.rank,
        participant: r.participant,
        submissionId: r.submissionId,
        createdAt: r.createdAt,
        rankScore: r.rankScore,
        metrics,
        ...(withheld.length ? { withheld } : {}),
      }
    }),
  }
}

export interface HistoryPoint {
  readonly version: number
  readonly computedAt: string
  /** The leading entries of the snapshot: rank, participant, submission and the primary metric's value (null where withheld). */
  readonly leaders: Array<{ rank: number; participant: string; submissionId: string; value: number | null }>
}

/**
 * The leaders of the newest `limit` snapshots, oldest first: what the board's history chart
 * draws. The primary metric is the first ranking column of each snapshot; under
 * perSeriesVisibility "organisers" a value over fewer than `minSeries` series (or an unknown
 * count) is null, as on the board.
 */
export async function getLeaderboardHistory(
  db: PrismaClient,
  challengeSlug: string,
  phaseSlug: string,
  limit: number,
  leaders: number,
  minSeries: number,
): Promise<{ challenge: string; phase: string; metric: string | null; points: HistoryPoint[] }> {
  const phase = await findPhase(db, challengeSlug, phaseSlug)
  const snapshots = await db.leaderboardSnapshot.findMany({
    where: { phaseId: phase.id },
    orderBy: { version: 'desc' },
    take: limit,
    select: { version: true, computedAt: true, columns: true, rows: true },
  })
  snapshots.reverse()
  const latest = snapshots.at(-1)
  const metric = ((latest?.columns ?? phase.rankingMetrics) as Array<{ key: string }>)[0]?.key ?? null
  type Stored = {
    rank: number
    participant: string
    submissionId: string
    metrics: Record<string, number | null>
    counts?: Record<string, number>
  }
  const points = snapshots.map((s) => {
    const key = (s.columns as Array<{ key: string }>)[0]?.key
    const rows = (s.rows as unknown as Stored[]).slice(0, leaders)
    return {
      version: s.version,
      computedAt: s.computedAt.toISOString(),
      leaders: rows.map((r) => {
        const raw = key === undefined ? null : (r.metrics[key] ?? null)
        const allowed = key !== undefined && publicValueAllowed(phase.perSeriesVisibility, r.counts?.[key], minSeries)
        return { rank: r.rank, participant: r.participant, submissionId: r.submissionId, value: allowed ? raw : null }
      }),
    }
  })
  return { challenge: challengeSlug, phase: phaseSlug, metric, points }
}
