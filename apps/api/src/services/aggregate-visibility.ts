import type { AuthUser } from '../types.ts'
import { canManage } from './challenges.ts'

/** What a participant sees of one metric's aggregate under perSeriesVisibility "organisers". */
export interface RestrictedAggregate {
  /** The mean over `count` series, or null when `count` is below the minimum. */
  readonly mean: number | null
  readonly count: number
  /** Why `mean` is null although values exist. */
  readonly withheld?: string
}

/**
 * Whether the caller sees a submission's aggregates in full (mean, std, median, min, max):
 * the challenge's organisers and admins always; others only where the phase shows per-series
 * results to the submission's owner anyway (perSeriesVisibility "owner").
 */
export function seesFullAggregates(user: AuthUser | null, phase: { perSeriesVisibility: string; challenge: { ownerId: string } }): boolean {
  return canManage(user, phase.challenge) || phase.perSeriesVisibility === 'owner'
}

export const withheldReason = (count: number, minSeries: number) =>
  `computed over ${count} series; participants see only values computed over at least ${minSeries} series`

/**
 * An aggregate table (`{ metric: { mean, std, median, min, max, count } }`, overall or one
 * sequence's) cut down to what a participant may see when per-series results are for the
 * organisers: the mean and the count of each metric, and no mean computed over fewer than
 * `minSeries` series. Order statistics and the spread would let a participant rebuild the
 * per-series values of a small test set (min, median and max of three values are the values).
 */
export function restrictAggregates(aggregates: Record<string, unknown>, minSeries: number): Record<string, RestrictedAggregate> {
  const out: Record<string, RestrictedAggregate> = {}
  for (const [key, value] of Object.entries(aggregates)) {
    const v = (value ?? {}) as { mean?: unknown; count?: unknown }
    const known = typeof v.count === 'number' && Number.isInteger(v.count) && v.count >= 0
    const count = known ? (v.count as number) : 0
    const mean = typeof v.mean === 'number' && Number.isFinite(v.mean) ? v.mean : null
    if (mean === null) out[key] = { mean: null, count }
    else if (known && count >= minSeries) out[key] = { mean, count }
    // A mean without a count is treated as computed over too few series.
    else out[key] = { mean: null, count, withheld: withheldReason(count, minSeries) }
  }
  return out
}

/**
 * Whether a metric's leaderboard value may be shown publicly: a phase with per-series results
 * for the organisers shows no value computed over fewer than `minSeries` series (an unknown
 * count counts as too few).
 */
export function publicValueAllowed(perSeriesVisibility: string, count: number | undefined, minSeries: number): boolean {
  return perSeriesVisibility === 'owner' || (count !== undefined && count >= minSeries)
}
