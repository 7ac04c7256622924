/** One row of overview.csv (SPIDER keeps acquisition facts and demographics per series there). */
export interface OverviewRow {
  readonly study: number
  readonly seriesName: string
  readonly sequence: string
  readonly split: string
  readonly sex: string
  readonly age: number
  readonly size: readonly [number, number, number]
  readonly spacing: readonly [number, number, number]
}

export const OVERVIEW_HEADER = [
  'study',
  'series_name',
  'sequence',
  'split',
  'sex',
  'age',
  'size_x',
  'size_y',
  'size_z',
  'spacing_x',
  'spacing_y',
  'spacing_z',
] as const

// Shortest decimal that reads back as the same number: exact and byte-stable.
const mm = (x: number): string => String(x)

/** The CSV text (header + rows, LF line ends). Values never contain commas or quotes. */
export function overviewCsv(rows: readonly OverviewRow[]): string {
  const lines = [OVERVIEW_HEADER.join(',')]
  for (const r of rows) {
    lines.push([r.study, r.seriesName, r.sequence, r.split, r.sex, r.age, ...r.size, ...r.spacing.map(mm)].join(','))
  }
  return lines.join('\n') + '\n'
}
