import { profileMetrics, type ProfileName } from './profiles/profile.ts'
import type { Aggregates, MetricAggregate, SeriesResult } from './result.ts'
import { SEQUENCES, type Sequence } from './sequence.ts'
import { mean, median, sampleStd } from './stats.ts'

/** Mean, sample SD, median, min, max and count of one metric's values, nulls skipped. */
export function aggregateValues(values: readonly (number | null)[]): MetricAggregate {
  const present = values.filter((v): v is number => v !== null && !Number.isNaN(v))
  return {
    mean: mean(present),
    std: sampleStd(present),
    median: median(present),
    min: present.length ? Math.min(...present) : null,
    max: present.length ? Math.max(...present) : null,
    count: present.length,
  }
}

function aggregateMetrics(profile: ProfileName, series: readonly SeriesResult[]): Aggregates {
  const out: Aggregates = {}
  for (const { key } of profileMetrics(profile)) out[key] = aggregateValues(series.map((s) => s.metrics[key] ?? null))
  return out
}

/**
 * Aggregates over all series and per sequence (only the sequences that occur). Series with
 * status "error" count with their empty-prediction scores, so failures are penalised.
 */
export function aggregateSeries(
  profile: ProfileName,
  series: readonly SeriesResult[],
): { aggregates: Aggregates; bySequence: Partial<Record<Sequence, Aggregates>> } {
  const bySequence: Partial<Record<Sequence, Aggregates>> = {}
  for (const sequence of SEQUENCES) {
    const subset = series.filter((s) => s.sequence === sequence)
    if (subset.length > 0) bySequence[sequence] = aggregateMetrics(profile, subset)
  }
  return { aggregates: aggregateMetrics(profile, series), bySequence }
}
