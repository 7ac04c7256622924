import { mean, median } from './position-score.ts'
import { rankValues } from './rank-values.ts'
import type { Candidate, LeaderboardRow, RankingSettings } from './types.ts'

interface Scored {
  readonly candidate: Candidate
  readonly rankScore: number | null
  readonly rank: number
}

/**
 * Ranks candidates as grand-challenge.org does: `absolute` by the first ranking metric;
 * `mean-position` / `median-position` rank every ranking metric on its own (ties share the
 * best position, missing values last), then rank the mean or median of the positions
 * (lower is better). Equal scores share a rank (1, 1, 3).
 */
export function scoreCandidates(candidates: readonly Candidate[], settings: RankingSettings): Scored[] {
  if (settings.columns.length === 0) throw new Error('ranking settings: "columns" must name at least one metric')
  if (candidates.length === 0) return []
  let scores: (number | null)[]
  let ranks: number[]
  if (settings.method === 'absolute') {
    const first = settings.columns[0]
    scores = candidates.map((c) => valueOf(c, first.key))
    ranks = rankValues(scores, first.order)
  } else {
    const positions = settings.columns.map((col) =>
      rankValues(
        candidates.map((c) => valueOf(c, col.key)),
        col.order,
      ),
    )
    const combine = settings.method === 'mean-position' ? mean : median
    scores = candidates.map((_, i) => combine(positions.map((p) => p[i])))
    ranks = rankValues(scores, 'asc')
  }
  return candidates.map((candidate, i) => ({ candidate, rankScore: scores[i], rank: ranks[i] }))
}

/** Selects the entries of the board (`best`, `latest` or `all`), ranks them and orders the rows. */
export function rankLeaderboard(candidates: readonly Candidate[], settings: RankingSettings): LeaderboardRow[] {
  let selected: readonly Candidate[]
  switch (settings.entries) {
    case 'all':
      selected = candidates
      break
    case 'latest':
      selected = onePerParticipant(candidates, (a, b) => compareTime(b, a))
      break
    case 'best': {
      // Each participant's best-ranked submission among all of theirs (earliest on a tie);
      // positions are then recomputed among the chosen entries only.
      const rankOf = new Map(scoreCandidates(candidates, settings).map((s) => [s.candidate, s.rank]))
      selected = onePerParticipant(candidates, (a, b) => (rankOf.get(a) as number) - (rankOf.get(b) as number) || compareTime(a, b))
      break
    }
    default:
      throw new Error(`ranking settings: unknown entries "${String(settings.entries)}"`)
  }
  return scoreCandidates(selected, settings)
    .sort((a, b) => a.rank - b.rank || compareTime(a.candidate, b.candidate))
    .map(({ candidate, rankScore, rank }) => ({
      rank,
      participant: candidate.participant,
      submissionId: candidate.submissionId,
      createdAt: candidate.createdAt,
      rankScore,
      metrics: candidate.metrics,
    }))
}

function valueOf(c: Candidate, key: string): number | null {
  const v = c.metrics[key]
  return typeof v === 'number' && Number.isFinite(v) ? v : null
}

/** Oldest first; the submission id breaks ties so that the order is deterministic. */
function compareTime(a: Candidate, b: Candidate): number {
  const d = Date.parse(a.createdAt) - Date.parse(b.createdAt)
  return d !== 0 ? d : a.submissionId < b.submissionId ? -1 : a.submissionId > b.submissionId ? 1 : 0
}

/** Keeps, per participant, the candidate that sorts first under `prefer`. */
function onePerParticipant(candidates: readonly Candidate[], prefer: (a: Candidate, b: Candidate) => number): Candidate[] {
  const chosen = new Map<string, Candidate>()
  for (const c of candidates) {
    const current = chosen.get(c.participant)
    if (!current || prefer(c, current) < 0) chosen.set(c.participant, c)
  }
  return [...chosen.values()]
}
