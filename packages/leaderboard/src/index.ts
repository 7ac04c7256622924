export * from './types.ts'
export { rankValues } from './rank-values.ts'
export { mean, median } from './position-score.ts'
export { rankLeaderboard, scoreCandidates } from './rank-leaderboard.ts'
export {
  parseRankingSettings,
  parseStabilitySettings,
  RankingSettingsError,
  DEFAULT_BOOTSTRAP_SAMPLES,
  DEFAULT_SIGNIFICANCE_LEVEL,
  MIN_BOOTSTRAP_SAMPLES,
  MAX_BOOTSTRAP_SAMPLES,
  type RawRankingSettings,
  type StabilitySettings,
} from './settings.ts'
export { normalUpperTail } from './normal-cdf.ts'
export { signedRankUpperTail } from './signed-rank-distribution.ts'
export { wilcoxonGreater, wilcoxonBothWays, type WilcoxonResult } from './wilcoxon.ts'
export { holmAdjust } from './holm.ts'
export { kendallTauB } from './kendall-tau.ts'
export { quantileSorted } from './quantile.ts'
export { checkSeriesTable, seriesValue, type SeriesEntry, type SeriesTable } from './series-table.ts'
export {
  bootstrapRanks,
  drawCounts,
  type BootstrapRanking,
  type BootstrapResult,
  type QuartileSummary,
  type RankUncertainty,
} from './bootstrap.ts'
export { pairwiseSignificance, tiedForFirst, type MetricSignificance } from './significance.ts'
export { computeStability, stabilitySeed, type EntryStability, type Stability, type StabilityOptions } from './stability.ts'
