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
