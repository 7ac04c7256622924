import { holmAdjust } from './holm.ts'
import { checkSeriesTable, type SeriesTable } from './series-table.ts'
import type { RankingColumn } from './types.ts'
import { pairedTests, SignedRankScratch } from './wilcoxon.ts'

export interface MetricSignificance extends RankingColumn {
  /** Row and column order of the matrices: the board's order. */
  readonly entries: readonly string[]
  /**
   * pValues[i][j]: one-sided paired Wilcoxon p-value of "entry i better than entry j";
   * null on the diagonal and where no series has both values.
   */
  readonly pValues: readonly (readonly (number | null)[])[]
  /** Holm-adjusted over all ordered pairs of this metric. */
  readonly adjusted: readonly (readonly (number | null)[])[]
  /** adjusted[i][j] < alpha. */
  readonly significant: readonly (readonly boolean[])[]
}

/**
 * For each ranking metric, oriented by its order (values of an `asc` metric are negated, so
 * "better" is always "greater"), the one-sided paired Wilcoxon signed-rank test of every
 * ordered pair of entries over the series both have values for, Holm-adjusted per metric
 * over all ordered pairs.
 */
export function pairwiseSignificance(table: SeriesTable, columns: readonly RankingColumn[], alpha: number): MetricSignificance[] {
  if (!(alpha > 0 && alpha < 1)) throw new Error(`significance level must lie in (0, 1), got ${alpha}`)
  checkSeriesTable(
    table,
    columns.map((c) => c.key),
  )
  const k = table.entries.length
  const ids = table.entries.map((e) => e.submissionId)
  return columns.map(({ key, order }) => {
    const sign = order === 'desc' ? 1 : -1
    const oriented = table.entries.map((e) => Float64Array.from(e.values[key], (v) => (v === null ? NaN : sign * v)))
    const scratch = new SignedRankScratch(table.series.length)
    const p: (number | null)[][] = Array.from({ length: k }, () => new Array<number | null>(k).fill(null))
    for (let i = 0; i < k; i++) {
      for (let j = i + 1; j < k; j++) {
        const test = pairedTests(oriented[i], oriented[j], scratch)
        p[i][j] = test?.xOverY.pValue ?? null
        p[j][i] = test?.yOverX.pValue ?? null
      }
    }
    const flat = holmAdjust(p.flat())
    const adjusted = p.map((_, i) => flat.slice(i * k, (i + 1) * k))
    const significant = adjusted.map((row) => row.map((v) => v !== null && v < alpha))
    return { key, order, entries: ids, pValues: p, adjusted, significant }
  })
}

/**
 * The entries statistically tied for first on a metric: every entry ranked first on the
 * board, and every other entry that no first-ranked entry significantly beats.
 */
export function tiedForFirst(table: SeriesTable, metric: MetricSignificance): string[] {
  const leaders = table.entries.flatMap((e, i) => (e.rank === 1 ? [i] : []))
  return table.entries.filter((e, j) => e.rank === 1 || !leaders.some((i) => metric.significant[i][j])).map((e) => e.submissionId)
}
