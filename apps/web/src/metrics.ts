import { get, type MetricDefinition, type ScoringProfile } from './api.ts'

let profiles: Promise<ScoringProfile[]> | null = null

/** The metric definitions of every scoring profile (fetched once per page load). */
export function loadProfiles(): Promise<ScoringProfile[]> {
  profiles ??= get<ScoringProfile[]>('/scoring-profiles').catch((err: unknown) => {
    profiles = null
    throw err
  })
  return profiles
}

export async function metricsOf(profile: string): Promise<Map<string, MetricDefinition>> {
  const all = await loadProfiles()
  return new Map((all.find((p) => p.name === profile)?.metrics ?? []).map((m) => [m.key, m]))
}

/** ↑ higher is better, ↓ lower is better. */
export const arrow = (order: string) => (order === 'desc' ? '↑' : '↓')
export const betterText = (order: string) => (order === 'desc' ? 'higher is better' : 'lower is better')
export const unitText = (unit: string) => (unit === '' ? 'fraction, 0 to 1' : unit)

export const METHOD_TEXT: Record<string, string> = {
  absolute: 'ranked by the first ranking metric alone',
  'mean-position': 'each ranking metric ranks the entries; the final rank orders the mean of those positions',
  'median-position': 'each ranking metric ranks the entries; the final rank orders the median of those positions',
}
export const ENTRIES_TEXT: Record<string, string> = {
  best: "each participant's best submission",
  latest: "each participant's latest successful submission",
  all: 'every successful submission',
}
