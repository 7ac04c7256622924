/**
 * Per-series values of the entries of a board: the input of the bootstrap and of the
 * pairwise tests. Plain data, no I/O.
 */
export interface SeriesEntry {
  readonly submissionId: string
  /** The entry's rank on the board (the full ranking the bootstrap is compared with). */
  readonly rank: number
  /** Per metric key: the value on each series of the table (same order), null when missing. */
  readonly values: Readonly<Record<string, readonly (number | null)[]>>
}

export interface SeriesTable {
  /** Test series names; every entry's value lists follow this order. */
  readonly series: readonly string[]
  /** The entries in the board's order. */
  readonly entries: readonly SeriesEntry[]
}

/** Throws unless every entry has, for every key, one value per series. */
export function checkSeriesTable(table: SeriesTable, keys: readonly string[]): void {
  const n = table.series.length
  for (const e of table.entries) {
    for (const key of keys) {
      const v = e.values[key]
      if (!v) throw new Error(`series table: entry ${e.submissionId} has no values for metric "${key}"`)
      if (v.length !== n)
        throw new Error(`series table: entry ${e.submissionId} has ${v.length} values for "${key}", expected one per series (${n})`)
    }
  }
}

/** The value of a series, or null when it is missing or not a finite number. */
export function seriesValue(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null
}
