import { aggregateSeries } from './aggregate.ts'
import type { ProfileName } from './profiles/profile.ts'
import type { ResultDocument, SeriesResult } from './result.ts'
import { SCORER_VERSION } from './version.ts'

/** The full result document of SCORING.md, series sorted by name for stable output. */
export function buildResultDocument(profile: ProfileName, series: readonly SeriesResult[]): ResultDocument {
  const sorted = [...series].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  const { aggregates, bySequence } = aggregateSeries(profile, sorted)
  return { profile, scorerVersion: SCORER_VERSION, aggregates, bySequence, series: sorted }
}
