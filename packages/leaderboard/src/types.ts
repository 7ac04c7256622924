/** Ranking settings of a phase and the shapes of a ranked leaderboard. Plain data, no I/O. */

export const RANKING_METHODS = ['absolute', 'mean-position', 'median-position'] as const
export type RankingMethod = (typeof RANKING_METHODS)[number]

export const ENTRY_MODES = ['best', 'latest', 'all'] as const
export type EntryMode = (typeof ENTRY_MODES)[number]

/** `desc`: higher is better (Dice, detection); `asc`: lower is better (ASD, HD95). */
export type MetricOrder = 'asc' | 'desc'

export interface RankingColumn {
  readonly key: string
  readonly order: MetricOrder
}

export interface RankingSettings {
  readonly method: RankingMethod
  readonly entries: EntryMode
  /** Ranking metrics, most important first; `absolute` uses only the first. */
  readonly columns: readonly RankingColumn[]
}

/** One successfully evaluated submission: its aggregate means by metric key. */
export interface Candidate {
  readonly submissionId: string
  readonly participant: string
  /** ISO time of the submission: "latest" and tie order use it. */
  readonly createdAt: string
  readonly metrics: Readonly<Record<string, number | null>>
}

export interface LeaderboardRow {
  readonly rank: number
  readonly participant: string
  readonly submissionId: string
  readonly createdAt: string
  /** absolute: the first ranking metric's value; *-position: the mean or median position. */
  readonly rankScore: number | null
  readonly metrics: Readonly<Record<string, number | null>>
}
