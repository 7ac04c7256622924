import { describe, expect, it } from 'vitest'
import { Rng } from '@spider-bench/random'
import { bootstrapRanks, drawCounts, type BootstrapRanking } from './bootstrap.ts'
import { rankLeaderboard } from './rank-leaderboard.ts'
import type { SeriesEntry, SeriesTable } from './series-table.ts'
import type { RankingMethod } from './types.ts'

const COLUMNS = [
  { key: 'Dice', order: 'desc' },
  { key: 'ASD', order: 'asc' },
  { key: 'Det', order: 'desc' },
] as const

const ranking = (method: RankingMethod): BootstrapRanking => ({ method, columns: COLUMNS })

/** Entries whose Dice/ASD/Det centre on `quality` with noise; `missing` blanks that share of values. */
function table(qualities: readonly number[], seriesCount: number, seed: number, missing = 0): SeriesTable {
  const rng = new Rng(seed)
  const series = Array.from({ length: seriesCount }, (_, s) => `s${String(s).padStart(3, '0')}`)
  const hardness = series.map(() => rng.normal(0, 0.05))
  const entries: SeriesEntry[] = qualities.map((q, e) => ({
    submissionId: `e${e}`,
    rank: 0,
    values: {
      Dice: series.map((_, s) => (rng.chance(missing) ? null : q + hardness[s] + rng.normal(0, 0.03))),
      ASD: series.map((_, s) => (rng.chance(missing) ? null : 2 - q - hardness[s] + rng.normal(0, 0.05))),
      Det: series.map(() => (rng.chance(missing) ? null : Math.round((q + rng.normal(0, 0.1)) * 10) / 10)),
    },
  }))
  return withBoardRanks({ series, entries }, 'mean-position')
}

/** The table's entries ranked and ordered as the leaderboard ranks their means over all series. */
function withBoardRanks(t: SeriesTable, method: RankingMethod): SeriesTable {
  const rows = rankLeaderboard(
    candidatesOf(
      t,
      t.series.map((_, s) => s),
    ),
    { method, entries: 'all', columns: COLUMNS },
  )
  return {
    series: t.series,
    entries: rows.map((r) => ({ ...(t.entries.find((e) => e.submissionId === r.submissionId) as SeriesEntry), rank: r.rank })),
  }
}

/** Naive leaderboard candidates of a resample given as a list of series indices (repeats allowed). */
function candidatesOf(t: SeriesTable, drawn: readonly number[]) {
  return t.entries.map((e, i) => ({
    submissionId: e.submissionId,
    participant: e.submissionId,
    createdAt: new Date(Date.UTC(2026, 0, 1 + i)).toISOString(),
    metrics: Object.fromEntries(
      COLUMNS.map(({ key }) => {
        const present = drawn.map((s) => e.values[key][s]).filter((v): v is number => v !== null)
        return [key, present.length === 0 ? null : present.reduce((a, b) => a + b, 0) / present.length]
      }),
    ),
  }))
}

/** Textbook type-7 quantile. */
function q7(values: number[], p: number): number {
  const x = [...values].sort((a, b) => a - b)
  const h = (x.length - 1) * p
  const lo = Math.floor(h)
  return lo + 1 < x.length ? x[lo] + (h - lo) * (x[lo + 1] - x[lo]) : x[lo]
}

/** Textbook tau-b from signs. */
function tauB(a: number[], b: number[]): number | null {
  let s = 0
  let ta = 0
  let tb = 0
  let pairs = 0
  for (let i = 0; i < a.length; i++)
    for (let j = i + 1; j < a.length; j++) {
      pairs++
      s += Math.sign(a[i] - a[j]) * Math.sign(b[i] - b[j])
      if (a[i] === a[j]) ta++
      if (b[i] === b[j]) tb++
    }
  const d = Math.sqrt((pairs - ta) * (pairs - tb))
  return d === 0 ? null : s / d
}

describe('bootstrapRanks', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const t = table([0.8, 0.81, 0.82, 0.83], 30, 1)
    const a = bootstrapRanks(t, ranking('mean-position'), { samples: 300, seed: 42 })
    expect(bootstrapRanks(t, ranking('mean-position'), { samples: 300, seed: 42 })).toEqual(a)
    expect(bootstrapRanks(t, ranking('mean-position'), { samples: 300, seed: 43 })).not.toEqual(a)
    expect(a.samples).toBe(300)
    expect(a.seed).toBe(42)
  })

  for (const method of ['absolute', 'mean-position', 'median-position'] as const) {
    it(`matches a brute-force re-ranking with the leaderboard's own ranking (${method}, missing values, ties)`, () => {
      const t = withBoardRanks(table([0.7, 0.72, 0.72, 0.75, 0.6, 0.74], 9, 7, 0.15), method)
      const samples = 200
      const seed = 99
      const got = bootstrapRanks(t, ranking(method), { samples, seed })
      // Replay the same draws; expand them into series lists and rank with rankLeaderboard.
      const rng = new Rng(seed)
      const counts = new Int32Array(t.series.length)
      const ranks: number[][] = t.entries.map(() => [])
      const taus: number[] = []
      for (let b = 0; b < samples; b++) {
        drawCounts(rng, counts)
        const drawn = [...counts].flatMap((c, s) => Array<number>(c).fill(s))
        expect(drawn).toHaveLength(t.series.length)
        const rows = rankLeaderboard(candidatesOf(t, drawn), { method, entries: 'all', columns: COLUMNS })
        const rankOf = new Map(rows.map((r) => [r.submissionId, r.rank]))
        const sample = t.entries.map((e) => rankOf.get(e.submissionId) as number)
        sample.forEach((r, e) => ranks[e].push(r))
        const tau = tauB(
          t.entries.map((e) => e.rank),
          sample,
        )
        if (tau !== null) taus.push(tau)
      }
      t.entries.forEach((_, e) => {
        expect(got.entries[e].medianRank).toBeCloseTo(q7(ranks[e], 0.5), 12)
        expect(got.entries[e].rankInterval[0]).toBeCloseTo(q7(ranks[e], 0.025), 12)
        expect(got.entries[e].rankInterval[1]).toBeCloseTo(q7(ranks[e], 0.975), 12)
        expect(got.entries[e].pFirst).toBe(ranks[e].filter((r) => r === 1).length / samples)
      })
      expect(got.kendallTau?.median).toBeCloseTo(q7(taus, 0.5), 12)
      expect(got.kendallTau?.q25).toBeCloseTo(q7(taus, 0.25), 12)
      expect(got.kendallTau?.q75).toBeCloseTo(q7(taus, 0.75), 12)
      // Not a degenerate board: the ranks do move.
      expect(got.entries.some((e) => e.rankInterval[0] !== e.rankInterval[1])).toBe(true)
    })
  }

  it('estimates the exact bootstrap distribution (every resample of 4 series enumerated)', () => {
    const t = withBoardRanks(table([0.7, 0.71, 0.72], 4, 11), 'mean-position')
    const exact = t.entries.map(() => 0)
    for (let code = 0; code < 4 ** 4; code++) {
      const drawn = [0, 1, 2, 3].map((i) => Math.floor(code / 4 ** i) % 4).sort((a, b) => a - b)
      const rows = rankLeaderboard(candidatesOf(t, drawn), { method: 'mean-position', entries: 'all', columns: COLUMNS })
      for (const r of rows) if (r.rank === 1) exact[t.entries.findIndex((e) => e.submissionId === r.submissionId)] += 1 / 4 ** 4
    }
    const got = bootstrapRanks(t, ranking('mean-position'), { samples: 20_000, seed: 5 })
    // 20 000 samples: a standard error of at most 0.0036 on each probability.
    got.entries.forEach((e, i) => expect(Math.abs(e.pFirst - exact[i]), `entry ${i}: ${e.pFirst} vs ${exact[i]}`).toBeLessThan(0.015))
    expect(exact.some((p) => p > 0.05 && p < 0.95)).toBe(true)
  })

  for (const method of ['absolute', 'mean-position', 'median-position'] as const) {
    it(`an entry best on every series ranks first in every sample (${method})`, () => {
      const t = table([0.7, 0.72, 0.74, 0.9], 20, 3)
      // Make e3 strictly best on every series and metric.
      const best = t.entries.find((e) => e.submissionId === 'e3') as SeriesEntry
      const others = t.entries.filter((e) => e !== best)
      const dominant: SeriesEntry = {
        ...best,
        values: {
          Dice: t.series.map((_, s) => Math.max(...others.map((o) => o.values.Dice[s] as number)) + 0.01),
          ASD: t.series.map((_, s) => Math.min(...others.map((o) => o.values.ASD[s] as number)) - 0.01),
          Det: t.series.map((_, s) => Math.max(...others.map((o) => o.values.Det[s] as number)) + 0.1),
        },
      }
      const board = withBoardRanks({ series: t.series, entries: [...others, dominant] }, method)
      const got = bootstrapRanks(board, ranking(method), { samples: 500, seed: 8 })
      const i = board.entries.findIndex((e) => e.submissionId === 'e3')
      expect(got.entries[i]).toEqual({ medianRank: 1, rankInterval: [1, 1], pFirst: 1 })
      got.entries.forEach((e, j) => j !== i && expect(e.pFirst).toBe(0))
    })
  }

  it('two identical entries share their distributions', () => {
    const t = table([0.7, 0.72, 0.74], 25, 4, 0.1)
    const twin: SeriesEntry = { ...t.entries[1], submissionId: 'twin' }
    const board = withBoardRanks({ series: t.series, entries: [...t.entries, twin] }, 'mean-position')
    for (const method of ['absolute', 'mean-position', 'median-position'] as const) {
      const got = bootstrapRanks(board, ranking(method), { samples: 400, seed: 12 })
      const a = board.entries.findIndex((e) => e.submissionId === t.entries[1].submissionId)
      const b = board.entries.findIndex((e) => e.submissionId === 'twin')
      expect(got.entries[a]).toEqual(got.entries[b])
    }
  })

  it('intervals widen as the number of series shrinks', () => {
    const full = table([0.7, 0.71, 0.72, 0.73, 0.74, 0.75], 160, 21)
    const width = (t: SeriesTable) =>
      bootstrapRanks(t, ranking('mean-position'), { samples: 500, seed: 1 }).entries.reduce(
        (s, e) => s + e.rankInterval[1] - e.rankInterval[0],
        0,
      )
    const subset = (n: number) =>
      withBoardRanks(
        {
          series: full.series.slice(0, n),
          entries: full.entries.map((e) => ({
            ...e,
            values: Object.fromEntries(Object.entries(e.values).map(([k, v]) => [k, v.slice(0, n)])),
          })),
        },
        'mean-position',
      )
    const widths = [160, 40, 10].map((n) => width(subset(n)))
    expect(widths[0]).toBeLessThan(widths[1])
    expect(widths[1]).toBeLessThan(widths[2])
  })

  it('absolute ranks by the first metric only; τ is null for a single entry', () => {
    const t = table([0.7, 0.75], 12, 2)
    const noisy = {
      ...t,
      entries: t.entries.map((e, i) => ({ ...e, values: { ...e.values, ASD: e.values.ASD.map(() => (i === 0 ? 0 : 99)) } })),
    }
    expect(bootstrapRanks(noisy, ranking('absolute'), { samples: 200, seed: 3 })).toEqual(
      bootstrapRanks(t, ranking('absolute'), { samples: 200, seed: 3 }),
    )
    const one = { series: t.series, entries: [{ ...t.entries[0], rank: 1 }] }
    expect(bootstrapRanks(one, ranking('median-position'), { samples: 100, seed: 3 })).toMatchObject({
      entries: [{ medianRank: 1, rankInterval: [1, 1], pFirst: 1 }],
      kendallTau: null,
    })
  })

  it('refuses bad options and ragged tables', () => {
    const t = table([0.7, 0.75], 5, 2)
    expect(() => bootstrapRanks(t, ranking('absolute'), { samples: 0, seed: 1 })).toThrow(/samples must be a positive integer, got 0/)
    const ragged = { ...t, entries: [{ ...t.entries[0], values: { ...t.entries[0].values, Dice: [0.5] } }] }
    expect(() => bootstrapRanks(ragged, ranking('absolute'), { samples: 10, seed: 1 })).toThrow(
      /has 1 values for "Dice", expected one per series \(5\)/,
    )
  })
})
