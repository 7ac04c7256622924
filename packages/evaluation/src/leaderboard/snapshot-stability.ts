/**
 * The stability figures of a new snapshot: bootstrap rank intervals and pairwise tests of its
 * rows, from the per-series results of the evaluations the rows show.
 */
import type { Prisma } from '@spider-bench/db'
import {
  computeStability,
  seriesValue,
  stabilitySeed,
  type BootstrapRanking,
  type SeriesTable,
  type Stability,
  type StabilitySettings,
} from '@spider-bench/leaderboard'

export interface RankedRow {
  readonly submissionId: string
  readonly rank: number
}

/**
 * The rows' values on every test series: each row's series results (from `evaluationOf` its
 * submission's evaluation), over the union of their series names sorted as the scorer sorts
 * its result document; a series a row's evaluation lacks, or a value it lacks, is missing.
 */
export async function loadSeriesTable(
  tx: Prisma.TransactionClient,
  rows: readonly RankedRow[],
  evaluationOf: ReadonlyMap<string, string>,
  keys: readonly string[],
): Promise<SeriesTable> {
  const evaluationIds = rows.map((r) => {
    const id = evaluationOf.get(r.submissionId)
    if (!id) throw new Error(`leaderboard stability: no evaluation for the row of submission ${r.submissionId}`)
    return id
  })
  const results = await tx.seriesResult.findMany({
    where: { evaluationId: { in: evaluationIds } },
    select: { evaluationId: true, seriesName: true, metrics: true },
  })
  const series = [...new Set(results.map((r) => r.seriesName))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  const index = new Map(series.map((name, i) => [name, i]))
  const byEvaluation = new Map<string, typeof results>()
  for (const r of results) {
    const list = byEvaluation.get(r.evaluationId)
    if (list) list.push(r)
    else byEvaluation.set(r.evaluationId, [r])
  }
  return {
    series,
    entries: rows.map((row, i) => {
      const values = Object.fromEntries(keys.map((key) => [key, new Array<number | null>(series.length).fill(null)]))
      for (const r of byEvaluation.get(evaluationIds[i]) ?? []) {
        const metrics = (r.metrics ?? {}) as Record<string, unknown>
        for (const key of keys) values[key][index.get(r.seriesName) as number] = seriesValue(metrics[key])
      }
      return { submissionId: row.submissionId, rank: row.rank, values }
    }),
  }
}

/** Computes the figures of snapshot `version` of the phase; the seed derives from both. */
export async function snapshotStability(
  tx: Prisma.TransactionClient,
  input: {
    readonly phaseId: string
    readonly version: number
    readonly rows: readonly RankedRow[]
    readonly evaluationOf: ReadonlyMap<string, string>
    readonly ranking: BootstrapRanking
    readonly settings: StabilitySettings
  },
): Promise<Stability> {
  const table = await loadSeriesTable(
    tx,
    input.rows,
    input.evaluationOf,
    input.ranking.columns.map((c) => c.key),
  )
  return computeStability(table, input.ranking, {
    samples: input.settings.samples,
    alpha: input.settings.alpha,
    seed: stabilitySeed(input.phaseId, input.version),
  })
}
