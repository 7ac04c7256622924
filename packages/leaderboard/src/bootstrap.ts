import { Rng } from '@spider-bench/random'
import { kendallTauB } from './kendall-tau.ts'
import { quantileSorted } from './quantile.ts'
import { scoreCandidates } from './rank-leaderboard.ts'
import { checkSeriesTable, type SeriesTable } from './series-table.ts'
import type { RankingSettings } from './types.ts'

export interface RankUncertainty {
  /** Median of the entry's bootstrap ranks. */
  readonly medianRank: number
  /** 2.5th and 97.5th percentiles of its bootstrap ranks (R's default quantile, type 7). */
  readonly rankInterval: readonly [number, number]
  /** Share of samples in which it ranks first (a shared first place counts). */
  readonly pFirst: number
}

export interface QuartileSummary {
  readonly median: number
  readonly q25: number
  readonly q75: number
}

export interface BootstrapResult {
  readonly samples: number
  readonly seed: number
  /** One per entry of the table, in its order. */
  readonly entries: readonly RankUncertainty[]
  /** Kendall's τ-b between the board's ranking and each sample's; null when undefined in every sample. */
  readonly kendallTau: QuartileSummary | null
}

/** The ranking rules the bootstrap re-applies: the phase's method and ranking metrics. */
export type BootstrapRanking = Pick<RankingSettings, 'method' | 'columns'>

/**
 * One bootstrap sample: n draws with replacement from n series, as the number of times each
 * series is drawn (`counts`, overwritten). The stream of draws depends only on the generator:
 * the CLI and the worker get the same samples from the same seed and number of series.
 */
export function drawCounts(rng: Rng, counts: Int32Array): void {
  const n = counts.length
  counts.fill(0)
  for (let i = 0; i < n; i++) counts[rng.int(0, n - 1)]++
}

/**
 * Bootstrap of the test series: `samples` resamples drawn with a generator seeded by `seed`,
 * each re-ranked by the leaderboard's own code (`scoreCandidates`: the phase's method, metric
 * orders, missing values last, shared ranks). A metric's value in a sample is the mean of the
 * entry's values over the drawn series, each counted as often as drawn and missing values
 * skipped, summed in the table's series order as the scorer averages the full set (series
 * sorted by name); no value drawn: missing.
 */
export function bootstrapRanks(
  table: SeriesTable,
  ranking: BootstrapRanking,
  options: { readonly samples: number; readonly seed: number },
): BootstrapResult {
  const { samples, seed } = options
  if (!Number.isInteger(samples) || samples < 1) throw new Error(`bootstrap: samples must be a positive integer, got ${samples}`)
  if (ranking.columns.length === 0) throw new Error('bootstrap: the ranking names no metric')
  // `absolute` ranks by the first metric only; the others need not be averaged.
  const keys = (ranking.method === 'absolute' ? ranking.columns.slice(0, 1) : ranking.columns).map((c) => c.key)
  checkSeriesTable(table, keys)
  const k = table.entries.length
  const n = table.series.length
  // values[(e * keys + m) * n + s], NaN when missing.
  const values = new Float64Array(k * keys.length * n)
  table.entries.forEach((entry, e) =>
    keys.forEach((key, m) => {
      const row = entry.values[key]
      for (let s = 0; s < n; s++) values[(e * keys.length + m) * n + s] = row[s] ?? NaN
    }),
  )
  // Candidates are built once; their metric records are overwritten for every sample.
  const metrics = table.entries.map(() => Object.fromEntries(keys.map((key) => [key, null])) as Record<string, number | null>)
  const candidates = table.entries.map((entry, e) => ({
    submissionId: entry.submissionId,
    participant: entry.submissionId,
    createdAt: '',
    metrics: metrics[e],
  }))
  const settings: RankingSettings = { method: ranking.method, entries: 'all', columns: ranking.columns }
  const boardRanks = Float64Array.from(table.entries, (e) => e.rank)
  const ranks = Array.from({ length: k }, () => new Float64Array(samples))
  const sampleRanks = new Float64Array(k)
  const taus: number[] = []
  const rng = new Rng(seed)
  const counts = new Int32Array(n)
  // The drawn series in series order, each repeated as often as drawn.
  const drawn = new Int32Array(n)
  for (let b = 0; b < samples; b++) {
    drawCounts(rng, counts)
    for (let s = 0, i = 0; s < n; s++) for (let c = counts[s]; c > 0; c--) drawn[i++] = s
    for (let e = 0; e < k; e++) {
      for (let m = 0; m < keys.length; m++) {
        const base = (e * keys.length + m) * n
        let sum = 0
        let count = 0
        // Added in series order, as the scorer's mean over the resampled series would add
        // them: equal values give equal means, bit for bit, so ties stay ties.
        for (let i = 0; i < n; i++) {
          const v = values[base + drawn[i]]
          if (v === v) {
            sum += v
            count++
          }
        }
        metrics[e][keys[m]] = count > 0 ? sum / count : null
      }
    }
    const scored = scoreCandidates(candidates, settings)
    for (let e = 0; e < k; e++) {
      sampleRanks[e] = scored[e].rank
      ranks[e][b] = scored[e].rank
    }
    const tau = kendallTauB(boardRanks, sampleRanks)
    if (tau !== null) taus.push(tau)
  }
  const entries = ranks.map((r): RankUncertainty => {
    r.sort()
    let first = 0
    for (const x of r) if (x === 1) first++
    return {
      medianRank: quantileSorted(r, 0.5),
      rankInterval: [quantileSorted(r, 0.025), quantileSorted(r, 0.975)],
      pFirst: first / samples,
    }
  })
  taus.sort((a, b) => a - b)
  const kendallTau =
    taus.length > 0 ? { median: quantileSorted(taus, 0.5), q25: quantileSorted(taus, 0.25), q75: quantileSorted(taus, 0.75) } : null
  return { samples, seed, entries, kendallTau }
}
