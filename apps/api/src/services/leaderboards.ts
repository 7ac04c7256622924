import { addLeaderboardRecompute } from '@spider-bench/contracts'
import type { PrismaClient } from '@spider-bench/db'
import { STATUS } from '@spider-bench/evaluation'
import { isProfileName, profileMetrics } from '@spider-bench/scoring'
import { ApiError, badRequest } from '../errors.ts'
import type { LeaderboardStabilityView, LeaderboardView } from '../schemas/leaderboard.ts'
import { publicValueAllowed } from './aggregate-visibility.ts'
import { findPhase } from './challenges.ts'
import type { ServiceDeps } from './deps.ts'

type Row = LeaderboardView['rows'][number]
type Column = LeaderboardView['columns'][number]

/** Parses `?at=`; a clear 400 on anything that is not a date-time. */
export function parseAt(at: string | undefined): Date | null {
  if (at === undefined) return null
  const d = new Date(at)
  if (at.trim() === '' || Number.isNaN(d.getTime())) throw badRequest(`at is not a valid ISO date-time: "${at}"`)
  return d
}

/** A stored snapshot row: what the API shows, plus the number of series behind each value. */
type StoredRow = Row & { readonly counts?: Record<string, number> }

/**
 * Series counts of rows stored before snapshots recorded them: those of the newest successful
 * hidden evaluation of each submission.
 */
async function fallbackCounts(db: PrismaClient, submissionIds: string[]): Promise<Map<string, Record<string, number>>> {
  const evaluations = await db.evaluation.findMany({
    where: { submissionId: { in: submissionIds }, status: STATUS.succeeded, testSet: { public: false } },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    select: { submissionId: true, aggregates: true },
  })
  const out = new Map<string, Record<string, number>>()
  for (const e of evaluations) {
    if (out.has(e.submissionId)) continue
    const table = (e.aggregates ?? {}) as Record<string, { count?: unknown } | undefined>
    out.set(e.submissionId, Object.fromEntries(Object.entries(table).map(([k, v]) => [k, typeof v?.count === 'number' ? v.count : 0])))
  }
  return out
}

/**
 * Rows as the public may see them. Where per-series results are for the organisers, a value
 * computed over fewer than `minSeries` series is replaced by null and listed in `withheld`
 * (and so is an absolute ranking's rank score, which is the first column's value).
 */
async function publicRows(
  db: PrismaClient,
  stored: StoredRow[],
  perSeriesVisibility: string,
  method: string,
  columns: Column[],
  minSeries: number,
): Promise<Row[]> {
  const missing = stored.filter((r) => r.counts === undefined).map((r) => r.submissionId)
  const fallback =
    perSeriesVisibility !== 'owner' && missing.length > 0 ? await fallbackCounts(db, missing) : new Map<string, Record<string, number>>()
  return stored.map(({ counts: stored, ...row }) => {
    if (perSeriesVisibility === 'owner') return row
    const counts = stored ?? fallback.get(row.submissionId) ?? {}
    const withheld = Object.keys(row.metrics).filter(
      (k) => row.metrics[k] !== null && !publicValueAllowed(perSeriesVisibility, counts[k], minSeries),
    )
    if (withheld.length === 0) return row
    const metrics = Object.fromEntries(Object.entries(row.metrics).map(([k, v]) => [k, withheld.includes(k) ? null : v]))
    const rankScore = method === 'absolute' && columns[0] && withheld.includes(columns[0].key) ? null : row.rankScore
    return { ...row, rankScore, metrics, withheld }
  })
}

/**
 * The snapshot of the phase in force at `at` (the newest computed at or before it; the
 * newest of all without `at`). No snapshot yet: an empty board under the current settings.
 * `minSeries`: MIN_AGGREGATE_SERIES (see `publicRows`).
 */
export async function getLeaderboard(
  db: PrismaClient,
  challengeSlug: string,
  phaseSlug: string,
  at: Date | null,
  minSeries: number,
): Promise<LeaderboardView> {
  const phase = await findPhase(db, challengeSlug, phaseSlug)
  const snapshot = await db.leaderboardSnapshot.findFirst({
    where: { phaseId: phase.id, ...(at ? { computedAt: { lte: at } } : {}) },
    orderBy: { version: 'desc' },
    // The stability figures (pairwise matrices) have their own route.
    omit: { stability: true },
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
  const ordered = (snapshot.rows as unknown as StoredRow[]).map((r) => ({
    ...r,
    metrics: Object.fromEntries([
      ...specs.map((s) => [s.key, r.metrics[s.key] ?? null]),
      ...Object.entries(r.metrics).filter(([k]) => !specs.some((s) => s.key === k)),
    ]),
    // Snapshots computed before rank stability existed have none.
    uncertainty: r.uncertainty ?? null,
  }))
  const rows = await publicRows(db, ordered, phase.perSeriesVisibility, snapshot.method, snapshot.columns as unknown as Column[], minSeries)
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

/**
 * The stability figures of the snapshot in force at `at` (as `getLeaderboard` picks it), as
 * the worker stored them with it: nothing is computed here. No snapshot, or one computed
 * before the figures existed: `samples` 0 and empty lists.
 */
export async function getLeaderboardStability(
  db: PrismaClient,
  challengeSlug: string,
  phaseSlug: string,
  at: Date | null,
): Promise<LeaderboardStabilityView> {
  const phase = await findPhase(db, challengeSlug, phaseSlug)
  const snapshot = await db.leaderboardSnapshot.findFirst({
    where: { phaseId: phase.id, ...(at ? { computedAt: { lte: at } } : {}) },
    orderBy: { version: 'desc' },
    select: { version: true, computedAt: true, stability: true },
  })
  const head = {
    challenge: challengeSlug,
    phase: phaseSlug,
    version: snapshot?.version ?? 0,
    computedAt: snapshot?.computedAt.toISOString() ?? null,
  }
  const stored = snapshot?.stability as Omit<LeaderboardStabilityView, 'challenge' | 'phase' | 'version' | 'computedAt'> | null | undefined
  if (!stored)
    return { ...head, samples: 0, seed: null, alpha: null, series: 0, kendallTau: null, entries: [], metrics: [], tiedForFirst: [] }
  const { samples, seed, alpha, series, kendallTau, entries, metrics, tiedForFirst } = stored
  return { ...head, samples, seed, alpha, series, kendallTau, entries, metrics, tiedForFirst }
}

interface RankingUpdate {
  readonly scoringProfile?: string
  readonly ranking?: { readonly method: string; readonly metrics: unknown }
  readonly entries?: string
  readonly perSeriesVisibility?: string
}

/** Whether an update changes how the phase is ranked (and so needs a new snapshot). */
export function changesRanking(body: RankingUpdate): boolean {
  return body.ranking !== undefined || body.entries !== undefined || body.scoringProfile !== undefined
}

/**
 * After a change of ranking settings (method, metrics, entries, profile): a worker stores a
 * new snapshot under the new settings and announces it (the boards' caches drop); earlier
 * snapshots stay readable with `?at=`. The request only enqueues the recompute.
 */
export async function requestLeaderboardRecompute(
  deps: Pick<ServiceDeps, 'db' | 'queues' | 'log'>,
  challengeSlug: string,
  phaseSlug: string,
): Promise<void> {
  const phase = await findPhase(deps.db, challengeSlug, phaseSlug)
  await addLeaderboardRecompute(deps.queues.leaderboard, phase.id).catch((err: unknown) => {
    deps.log.error({ err, phaseId: phase.id }, 'could not queue the leaderboard recompute')
    throw new ApiError(
      503,
      'service_unavailable',
      `the settings of phase "${phaseSlug}" were saved, but its leaderboard could not be queued for recomputation ` +
        '(the queue is unreachable); send the same request again',
      undefined,
      { 'retry-after': '5' },
    )
  })
}
