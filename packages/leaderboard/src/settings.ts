import {
  ENTRY_MODES,
  RANKING_METHODS,
  type EntryMode,
  type MetricOrder,
  type RankingColumn,
  type RankingMethod,
  type RankingSettings,
} from './types.ts'

/** Invalid ranking settings; `field` names the offending setting. */
export class RankingSettingsError extends Error {
  override name = 'RankingSettingsError'
  readonly code = 'INVALID_RANKING_SETTINGS'
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`ranking settings: ${field}: ${message}`)
  }
}

export interface RawRankingSettings {
  readonly method: unknown
  readonly entries: unknown
  readonly columns: unknown
}

/**
 * Validates ranking settings as stored on a phase (`rankingMethod`, `entries`,
 * `rankingMetrics`). With `metrics` (the profile's metric keys), every column must name one.
 */
export function parseRankingSettings(raw: RawRankingSettings, metrics?: readonly string[]): RankingSettings {
  if (!RANKING_METHODS.includes(raw.method as RankingMethod)) {
    throw new RankingSettingsError('method', `got ${JSON.stringify(raw.method)}, expected one of ${RANKING_METHODS.join(', ')}`)
  }
  if (!ENTRY_MODES.includes(raw.entries as EntryMode)) {
    throw new RankingSettingsError('entries', `got ${JSON.stringify(raw.entries)}, expected one of ${ENTRY_MODES.join(', ')}`)
  }
  if (!Array.isArray(raw.columns) || raw.columns.length === 0) {
    throw new RankingSettingsError('rankingMetrics', `got ${JSON.stringify(raw.columns)}, expected a non-empty list of { key, order }`)
  }
  const seen = new Set<string>()
  const columns: RankingColumn[] = raw.columns.map((col: unknown, i: number) => {
    const c = (col ?? {}) as { key?: unknown; order?: unknown }
    if (typeof c.key !== 'string' || c.key === '') {
      throw new RankingSettingsError(`rankingMetrics[${i}].key`, `got ${JSON.stringify(c.key)}, expected a metric name`)
    }
    if (c.order !== 'asc' && c.order !== 'desc') {
      throw new RankingSettingsError(`rankingMetrics[${i}].order`, `got ${JSON.stringify(c.order)}, expected "asc" or "desc"`)
    }
    if (metrics && !metrics.includes(c.key)) {
      throw new RankingSettingsError(
        `rankingMetrics[${i}].key`,
        `"${c.key}" is not a metric of the scoring profile (${metrics.join(', ')})`,
      )
    }
    if (seen.has(c.key)) throw new RankingSettingsError(`rankingMetrics[${i}].key`, `"${c.key}" is listed twice`)
    seen.add(c.key)
    return { key: c.key, order: c.order as MetricOrder }
  })
  return { method: raw.method as RankingMethod, entries: raw.entries as EntryMode, columns }
}

/** Bootstrap samples and significance level when a phase does not set them. */
export const DEFAULT_BOOTSTRAP_SAMPLES = 1000
export const DEFAULT_SIGNIFICANCE_LEVEL = 0.05
/** Bounds of a phase's bootstrap samples: enough for a 95 % interval, cheap enough per snapshot. */
export const MIN_BOOTSTRAP_SAMPLES = 100
export const MAX_BOOTSTRAP_SAMPLES = 10_000

export interface StabilitySettings {
  /** Bootstrap samples per snapshot. */
  readonly samples: number
  /** Significance level of the Holm-adjusted pairwise tests. */
  readonly alpha: number
}

/** Validates a phase's stability settings (`bootstrapSamples`, `significanceLevel`). */
export function parseStabilitySettings(raw: { readonly samples: unknown; readonly alpha: unknown }): StabilitySettings {
  const { samples, alpha } = raw
  if (typeof samples !== 'number' || !Number.isInteger(samples) || samples < MIN_BOOTSTRAP_SAMPLES || samples > MAX_BOOTSTRAP_SAMPLES) {
    throw new RankingSettingsError(
      'bootstrapSamples',
      `got ${JSON.stringify(samples)}, expected an integer from ${MIN_BOOTSTRAP_SAMPLES} to ${MAX_BOOTSTRAP_SAMPLES}`,
    )
  }
  if (typeof alpha !== 'number' || !(alpha > 0 && alpha < 1)) {
    throw new RankingSettingsError('significanceLevel', `got ${JSON.stringify(alpha)}, expected a number between 0 and 1 (exclusive)`)
  }
  return { samples, alpha }
}
