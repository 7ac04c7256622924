/**
 * `npm run bench:rank`: the cost of a snapshot's stability figures (what the worker computes
 * after every ranking) on seeded synthetic boards of 10, 50 and 200 entries × 97 series × 8
 * ranking metrics (mean-position, realistic SPIDER-like values with ties in the detection
 * rates), B = 1000 bootstrap samples, one thread. Prints the bootstrap, the pairwise
 * Wilcoxon + Holm tests and the total per size, and how the time grows with the entries.
 * Options: --samples B (default 1000), --entries 10,50,200, --runs N (best of N, default 3).
 */
import { parseArgs } from 'node:util'
import {
  bootstrapRanks,
  computeStability,
  pairwiseSignificance,
  rankLeaderboard,
  type RankingColumn,
  type SeriesTable,
} from '@spider-bench/leaderboard'
import { Rng } from '@spider-bench/random'

const SERIES = 97
const COLUMNS: readonly RankingColumn[] = [
  { key: 'DiceVertebrae', order: 'desc' },
  { key: 'DiceDiscs', order: 'desc' },
  { key: 'DiceSpinalCanal', order: 'desc' },
  { key: 'DetectionVertebrae', order: 'desc' },
  { key: 'ASDVertebrae', order: 'asc' },
  { key: 'ASDDiscs', order: 'asc' },
  { key: 'ASDSpinalCanal', order: 'asc' },
  { key: 'FalsePositiveStructures', order: 'asc' },
]

const { values } = parseArgs({
  options: {
    samples: { type: 'string', default: '1000' },
    entries: { type: 'string', default: '10,50,200' },
    runs: { type: 'string', default: '3' },
  },
  strict: true,
})
const samples = Number(values.samples)
const sizes = String(values.entries).split(',').map(Number)
const runs = Number(values.runs)
if (!Number.isInteger(samples) || samples < 1) throw new Error(`--samples: expected a positive integer, got "${values.samples}"`)
if (sizes.some((k) => !Number.isInteger(k) || k < 2)) throw new Error(`--entries: expected integers of at least 2, got "${values.entries}"`)
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs: expected a positive integer, got "${values.runs}"`)

/** k entries of graded quality on 97 series of varying difficulty, ranked as the board ranks them. */
function board(k: number): SeriesTable {
  const rng = new Rng(k)
  const series = Array.from({ length: SERIES }, (_, s) => `${String(s).padStart(3, '0')}_t2`)
  const hard = series.map(() => rng.normal(0, 0.06))
  const entries = Array.from({ length: k }, (_, e) => {
    const q = 0.85 + 0.08 * (e / k) + rng.normal(0, 0.01)
    const dice = () => series.map((_, s) => Math.min(1, Math.max(0, q + hard[s] + rng.normal(0, 0.04))))
    const asd = () => series.map((_, s) => Math.max(0, 1.5 - q - hard[s] + rng.normal(0, 0.2)))
    const values: Record<string, (number | null)[]> = {
      DiceVertebrae: dice(),
      DiceDiscs: dice(),
      // Some canals are not in the reference: no value.
      DiceSpinalCanal: dice().map((v, s) => (s % 31 === 0 ? null : v)),
      // Detected share of ~18 vertebrae: many equal values.
      DetectionVertebrae: series.map(() => Math.min(18, Math.round(18 * q + rng.normal(0, 1))) / 18),
      ASDVertebrae: asd(),
      ASDDiscs: asd(),
      ASDSpinalCanal: asd().map((v, s) => (s % 31 === 0 ? null : v)),
      FalsePositiveStructures: series.map(() => (rng.chance(0.2) ? rng.int(1, 3) : 0)),
    }
    return { submissionId: `entry-${String(e).padStart(3, '0')}`, rank: 0, values }
  })
  const mean = (v: (number | null)[]) => {
    const p = v.filter((x): x is number => x !== null)
    return p.length ? p.reduce((a, b) => a + b, 0) / p.length : null
  }
  const rows = rankLeaderboard(
    entries.map((e) => ({
      submissionId: e.submissionId,
      participant: e.submissionId,
      createdAt: '2026-01-01T00:00:00Z',
      metrics: Object.fromEntries(Object.entries(e.values).map(([key, v]) => [key, mean(v)])),
    })),
    { method: 'mean-position', entries: 'all', columns: COLUMNS },
  )
  return {
    series,
    entries: rows.map((r) => ({ ...(entries.find((e) => e.submissionId === r.submissionId) as (typeof entries)[number]), rank: r.rank })),
  }
}

/** The fastest of `runs` runs: wall time and this process's CPU time (robust when the machine is shared). */
function best(fn: () => void): { wall: number; cpu: number } {
  let min = { wall: Infinity, cpu: Infinity }
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    fn()
    const wall = performance.now() - t0
    const c = process.cpuUsage(c0)
    if (wall < min.wall) min = { wall, cpu: (c.user + c.system) / 1000 }
  }
  return min
}

const ranking = { method: 'mean-position' as const, columns: COLUMNS }
// Warm-up: compile the hot loops before the first measurement.
for (let i = 0; i < 3; i++) computeStability(board(10), ranking, { samples: 1000, seed: 1, alpha: 0.05 })

console.log(
  `stability of a snapshot: ${SERIES} series × ${COLUMNS.length} metrics (mean-position), B = ${samples}, one thread, best of ${runs}`,
)
console.log('')
console.log('wall / CPU time of this process (CPU time is the robust figure on a shared machine)')
console.log('')
console.log('entries  bootstrap            pairwise tests       total                tied for first  median τ')
let previous: { k: number; ms: number } | null = null
const growth: string[] = []
const both = (t: { wall: number; cpu: number }) => `${t.wall.toFixed(0)} / ${t.cpu.toFixed(0)} ms`.padEnd(19)
for (const k of sizes) {
  const t = board(k)
  const boot = best(() => bootstrapRanks(t, ranking, { samples, seed: 7 }))
  const tests = best(() => pairwiseSignificance(t, COLUMNS, 0.05))
  let result: ReturnType<typeof computeStability> | undefined
  const total = best(() => {
    result = computeStability(t, ranking, { samples, seed: 7, alpha: 0.05 })
  })
  const s = result as ReturnType<typeof computeStability>
  console.log(
    `${String(k).padStart(7)}  ${both(boot)}  ${both(tests)}  ${both(total)}  ` +
      `${String(s.tiedForFirst.length).padEnd(14)}  ${s.kendallTau?.median.toFixed(3) ?? '-'}`,
  )
  if (previous)
    growth.push(
      `${previous.k} → ${k} entries: × ${(total.cpu / previous.ms).toFixed(1)} CPU time ` +
        `(exponent ${(Math.log(total.cpu / previous.ms) / Math.log(k / previous.k)).toFixed(2)})`,
    )
  previous = { k, ms: total.cpu }
}
console.log('')
for (const g of growth) console.log(`growth ${g}`)
console.log('(bootstrap ~ B·entries·series·metrics plus B sorts of the entries; tests ~ entries²·metrics·series·log series)')
