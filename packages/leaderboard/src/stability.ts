import { deriveSeed } from '@spider-bench/random'
import { bootstrapRanks, type BootstrapRanking, type QuartileSummary, type RankUncertainty } from './bootstrap.ts'
import type { SeriesTable } from './series-table.ts'
import { pairwiseSignificance, tiedForFirst, type MetricSignificance } from './significance.ts'

export interface EntryStability extends RankUncertainty {
  readonly submissionId: string
  /** The entries it significantly beats on the primary (first) ranking metric, in board order. */
  readonly beats: readonly string[]
}

/** How sure the ranks of a board are: stored with its snapshot, served as is. */
export interface Stability {
  readonly samples: number
  readonly seed: number
  readonly alpha: number
  /** Number of test series resampled. */
  readonly series: number
  readonly kendallTau: QuartileSummary | null
  /** One per board row, in its order. */
  readonly entries: readonly EntryStability[]
  readonly metrics: readonly MetricSignificance[]
  /** Entries not significantly worse than the leader(s) on the primary metric, in board order. */
  readonly tiedForFirst: readonly string[]
}

export interface StabilityOptions {
  readonly samples: number
  readonly seed: number
  readonly alpha: number
}

/** Bootstrap rank intervals and pairwise significance of a ranked board from its per-series values. */
export function computeStability(table: SeriesTable, ranking: BootstrapRanking, options: StabilityOptions): Stability {
  const boot = bootstrapRanks(table, ranking, options)
  const metrics = pairwiseSignificance(table, ranking.columns, options.alpha)
  const primary = metrics[0]
  return {
    samples: options.samples,
    seed: options.seed,
    alpha: options.alpha,
    series: table.series.length,
    kendallTau: boot.kendallTau,
    entries: table.entries.map((e, i) => ({
      submissionId: e.submissionId,
      ...boot.entries[i],
      beats: table.entries.filter((_, j) => primary.significant[i][j]).map((x) => x.submissionId),
    })),
    metrics,
    tiedForFirst: tiedForFirst(table, primary),
  }
}

/** The seed of a snapshot's bootstrap: a 32-bit hash of its phase and version, so its figures can be recomputed. */
export function stabilitySeed(phaseId: string, version: number): number {
  return deriveSeed(0, 'leaderboard-stability', phaseId, version)
}
