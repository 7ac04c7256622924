/**
 * What must hold after any fault, once the system had time to recover:
 *
 * - every accepted submission reached a final state, and the phase holds no other submission
 *   (nothing half-stored became visible);
 * - every succeeded submission has exactly one succeeded hidden evaluation with exactly one
 *   per-series row per test series (none missing, none duplicated, none foreign);
 * - the queues are drained and the leaderboard the API serves equals a recompute from the
 *   stored per-series results (scorer's aggregation, the phase's ranking settings);
 * - nobody is charged for a system fault: a submission that failed for a system reason does
 *   not count against the submission limit.
 */
import { expect } from 'vitest'
import { parseRankingSettings, rankLeaderboard, type Candidate } from '@spider-bench/leaderboard'
import { buildResultDocument, isProfileName, profileMetrics, type SeriesResult } from '@spider-bench/scoring'
import { FINAL, until, type Accepted, type FaultBench, type PhaseSetup } from './harness.ts'

export interface InvariantReport {
  readonly submissions: number
  readonly succeeded: number
  readonly failed: number
  readonly seriesRows: number
  readonly leaderboardRows: number
}

interface BoardRow {
  rank: number
  participant: string
  submissionId: string
  rankScore: number | null
  metrics: Record<string, number | null>
}

/** The stored per-series rows of an evaluation, as the scorer's results (independently of the worker's code). */
async function storedSeries(bench: FaultBench, evaluationId: string): Promise<SeriesResult[]> {
  const rows = await bench.db.prisma.seriesResult.findMany({ where: { evaluationId }, orderBy: { seriesName: 'asc' } })
  return rows.map((r) => ({
    name: r.seriesName,
    sequence: r.sequence as SeriesResult['sequence'],
    status: r.status as SeriesResult['status'],
    ...(r.error ? { error: r.error } : {}),
    metrics: r.metrics as SeriesResult['metrics'],
    structures: r.structures as unknown as SeriesResult['structures'],
  }))
}

/** A board's value of each metric: the mean over series of its aggregate, null when absent. */
function boardMetrics(keys: readonly string[], aggregates: unknown): Record<string, number | null> {
  const table = (aggregates ?? {}) as Record<string, { mean?: unknown } | undefined>
  return Object.fromEntries(
    keys.map((k) => [k, typeof table[k]?.mean === 'number' && Number.isFinite(table[k]?.mean) ? (table[k]?.mean as number) : null]),
  )
}

/** The phase's board recomputed from the stored per-series rows alone. */
export async function recomputedBoard(bench: FaultBench, phaseId: string): Promise<BoardRow[]> {
  const prisma = bench.db.prisma
  const phase = await prisma.phase.findUniqueOrThrow({ where: { id: phaseId } })
  if (!isProfileName(phase.scoringProfile)) throw new Error(`unknown profile ${phase.scoringProfile}`)
  const specs = profileMetrics(phase.scoringProfile)
  const settings = parseRankingSettings(
    { method: phase.rankingMethod, entries: phase.entries, columns: phase.rankingMetrics },
    specs.map((s) => s.key),
  )
  const evaluations = await prisma.evaluation.findMany({
    where: { status: 'succeeded', testSet: { public: false }, submission: { phaseId, status: { not: 'cancelled' } } },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    select: {
      id: true,
      profile: true,
      submissionId: true,
      testSet: { select: { series: { select: { name: true } } } },
      submission: { select: { createdAt: true, participant: { select: { name: true } } } },
    },
  })
  const candidates: Candidate[] = []
  const seen = new Set<string>()
  for (const e of evaluations) {
    if (seen.has(e.submissionId)) continue
    seen.add(e.submissionId)
    if (!isProfileName(e.profile)) throw new Error(`unknown profile ${e.profile}`)
    const names = e.testSet.series.map((s) => s.name)
    const document = buildResultDocument(
      e.profile,
      (await storedSeries(bench, e.id)).filter((s) => names.includes(s.name)),
    )
    candidates.push({
      submissionId: e.submissionId,
      participant: e.submission.participant.name,
      createdAt: e.submission.createdAt.toISOString(),
      metrics: boardMetrics(
        specs.map((m) => m.key),
        document.aggregates,
      ),
    })
  }
  return rankLeaderboard(candidates, settings).map((r) => ({
    rank: r.rank,
    participant: r.participant,
    submissionId: r.submissionId,
    rankScore: r.rankScore,
    metrics: { ...r.metrics },
  }))
}

export async function checkInvariants(
  bench: FaultBench,
  phase: PhaseSetup,
  accepted: readonly Accepted[],
  options: { readonly allSucceeded?: boolean; readonly timeoutMs?: number } = {},
): Promise<InvariantReport> {
  const prisma = bench.db.prisma
  const ids = accepted.map((a) => a.id)
  await bench.waitFinal(ids, options.timeoutMs ?? 180_000)

  // Exactly the accepted submissions, all final.
  const submissions = await prisma.submission.findMany({
    where: { phaseId: phase.phaseId },
    select: {
      id: true,
      status: true,
      error: true,
      countsTowardLimit: true,
      evaluations: {
        select: { id: true, status: true, errorKind: true, createdAt: true, testSet: { select: { public: true } } },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      },
    },
  })
  expect(submissions.map((s) => s.id).sort(), 'the phase holds exactly the accepted submissions').toEqual([...ids].sort())
  for (const s of submissions) expect(FINAL, `submission ${s.id} is final`).toContain(s.status)
  if (options.allSucceeded) {
    const notSucceeded = submissions.filter((s) => s.status !== 'succeeded').map((s) => `${s.id}: ${s.status} ${s.error ?? ''}`)
    expect(notSucceeded, 'every accepted submission succeeded').toEqual([])
  }

  // Per-series rows: complete and unique for succeeded evaluations, within the test set otherwise.
  let seriesRows = 0
  for (const s of submissions) {
    const hidden = s.evaluations.filter((e) => !e.testSet.public)
    if (s.status === 'succeeded')
      expect(hidden.filter((e) => e.status === 'succeeded').length, `submission ${s.id}: one succeeded evaluation`).toBe(1)
    for (const e of hidden) {
      const rows = await prisma.seriesResult.findMany({ where: { evaluationId: e.id }, select: { seriesName: true } })
      const names = rows.map((r) => r.seriesName).sort()
      seriesRows += rows.length
      expect(new Set(names).size, `evaluation ${e.id}: no duplicated series row`).toBe(names.length)
      if (e.status === 'succeeded') expect(names, `evaluation ${e.id}: one row per test series`).toEqual(phase.seriesNames)
      else for (const n of names) expect(phase.seriesNames).toContain(n)
    }
  }

  // Charges: a system fault never counts against the limit; a success always does.
  for (const s of submissions) {
    const newest = s.evaluations[0]
    if (s.status === 'failed' && newest?.errorKind !== 'input')
      expect(s.countsTowardLimit, `submission ${s.id} failed for a system reason (${s.error}) and must not be charged`).toBe(false)
    if (s.status === 'succeeded') expect(s.countsTowardLimit).toBe(true)
  }

  // Queues drained (the finalize jobs recompute the board after the evaluation is stored), then
  // the served board equals the recompute.
  await until('the queues to drain', async () => (await bench.pendingJobs()) === 0, 60_000, 200)
  const expected = await recomputedBoard(bench, phase.phaseId)
  const served = await bench.request<{ rows: BoardRow[] }>(null, 'GET', `${phase.path}/leaderboard`)
  expect(served.status).toBe(200)
  const rows = served.body.rows.map((r) => ({
    rank: r.rank,
    participant: r.participant,
    submissionId: r.submissionId,
    rankScore: r.rankScore,
    metrics: r.metrics,
  }))
  expect(rows, 'the served leaderboard equals a recompute from the stored per-series results').toEqual(expected)
  expect(rows.length).toBe(submissions.filter((s) => s.status === 'succeeded').length)

  return {
    submissions: submissions.length,
    succeeded: submissions.filter((s) => s.status === 'succeeded').length,
    failed: submissions.filter((s) => s.status === 'failed').length,
    seriesRows,
    leaderboardRows: rows.length,
  }
}
