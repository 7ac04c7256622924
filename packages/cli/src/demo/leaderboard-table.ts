import { textTable } from '../text-table.ts'

/** The parts of GET .../leaderboard the table shows. */
export interface LeaderboardLike {
  readonly method: string
  readonly entries: string
  readonly version: number
  readonly columns: ReadonlyArray<{ key: string; order: 'asc' | 'desc' }>
  readonly rows: ReadonlyArray<{
    rank: number
    participant: string
    submissionId: string
    rankScore: number | null
    metrics: Record<string, number | null>
  }>
}

/** Short column headers for the SPIDER metric keys (Dice → "Dice", Vertebrae → "vert"...). */
export function shortMetricName(key: string): string {
  return key
    .replace('Vertebrae', ' vert')
    .replace('Discs', ' disc')
    .replace('SpinalCanal', ' canal')
    .replace('Overall', ' all')
    .replace('Detection', 'Det')
}

function formatValue(key: string, value: number | null): string {
  if (value === null || Number.isNaN(value)) return '-'
  if (key.startsWith('Detection')) return `${(value * 100).toFixed(1)}%`
  if (key.startsWith('Dice')) return value.toFixed(4)
  return value.toFixed(3)
}

/**
 * The leaderboard as a plain-text table: rank, participant, rank score, then each ranking
 * metric (as the API returns it; values rounded for reading, the API has them exact).
 */
export function formatLeaderboard(board: LeaderboardLike): string {
  const keys = board.columns.map((c) => c.key)
  const header = ['rank', 'participant', 'score', ...keys.map(shortMetricName)]
  const body = board.rows.map((row) => [
    String(row.rank),
    row.participant,
    row.rankScore === null ? '-' : String(Number(row.rankScore.toFixed(3))),
    ...keys.map((k) => formatValue(k, row.metrics[k] ?? null)),
  ])
  const arrows = board.columns.map((c) => `${shortMetricName(c.key)} ${c.order === 'desc' ? '↑' : '↓'}`).join(', ')
  return [
    `ranking: ${board.method}, entries: ${board.entries}, snapshot v${board.version} (↑ higher is better, ↓ lower is better: ${arrows})`,
    ...textTable(header, body, (i) => i !== 1),
  ].join('\n')
}
