import type { MetricSpec } from '@spider-bench/scoring'

/**
 * The leaderboard value of each metric of the profile: the mean over series of the stored
 * aggregate, exactly as `spider-bench score` reports it; null when absent (no value existed).
 */
export function candidateMetrics(specs: readonly MetricSpec[], aggregates: unknown): Record<string, number | null> {
  const table = (aggregates ?? {}) as Record<string, { mean?: unknown } | undefined>
  return Object.fromEntries(
    specs.map(({ key }) => {
      const mean = table[key]?.mean
      return [key, typeof mean === 'number' && Number.isFinite(mean) ? mean : null]
    }),
  )
}

/** The number of series behind each metric's value (0 when absent). */
export function candidateCounts(specs: readonly MetricSpec[], aggregates: unknown): Record<string, number> {
  const table = (aggregates ?? {}) as Record<string, { count?: unknown } | undefined>
  return Object.fromEntries(
    specs.map(({ key }) => {
      const count = table[key]?.count
      return [key, typeof count === 'number' && Number.isInteger(count) && count >= 0 ? count : 0]
    }),
  )
}
