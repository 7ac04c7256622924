import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { holmAdjust } from './holm.ts'
import type { SeriesTable } from './series-table.ts'
import { pairwiseSignificance, tiedForFirst } from './significance.ts'
import { computeStability, stabilitySeed } from './stability.ts'

interface Pairwise {
  name: string
  order: 'asc' | 'desc'
  values: (number | null)[][]
  pValues: (number | null)[][]
  adjusted: (number | null)[][]
}
const { pairwise } = JSON.parse(readFileSync(new URL('../test/fixtures/wilcoxon/vectors.json', import.meta.url), 'utf8')) as {
  pairwise: Pairwise[]
}

const tableOf = (values: (number | null)[][], key: string, ranks = values.map((_, i) => i + 1)): SeriesTable => ({
  series: values[0].map((_, s) => `s${s}`),
  entries: values.map((v, i) => ({ submissionId: `e${i}`, rank: ranks[i], values: { [key]: v } })),
})

describe('pairwiseSignificance', () => {
  for (const c of pairwise) {
    it(`equals R's pairwise wilcox.test + p.adjust(holm) matrices: ${c.name}`, () => {
      const [m] = pairwiseSignificance(tableOf(c.values, 'M'), [{ key: 'M', order: c.order }], 0.05)
      expect(m.entries).toEqual(c.values.map((_, i) => `e${i}`))
      for (const [got, want] of [
        [m.pValues, c.pValues],
        [m.adjusted, c.adjusted],
      ]) {
        got.forEach((row, i) =>
          row.forEach((v, j) => {
            if (want[i][j] === null) return void expect(v, `[${i}][${j}]`).toBeNull()
            expect(Math.abs((v as number) - (want[i][j] as number)), `[${i}][${j}]`).toBeLessThanOrEqual(
              1e-9 * Math.min(1, want[i][j] as number),
            )
          }),
        )
      }
      expect(m.significant).toEqual(m.adjusted.map((row) => row.map((v) => v !== null && v < 0.05)))
    })
  }

  it('orients each metric by its order and adjusts per metric over all ordered pairs', () => {
    // e0 is better than e1 on every series: higher Dice, lower ASD.
    const series = Array.from({ length: 20 }, (_, s) => s)
    const table: SeriesTable = {
      series: series.map(String),
      entries: [
        { submissionId: 'e0', rank: 1, values: { Dice: series.map((s) => 0.9 + s / 1000), ASD: series.map((s) => 1 + s / 100) } },
        { submissionId: 'e1', rank: 2, values: { Dice: series.map((s) => 0.8 + s / 999), ASD: series.map((s) => 2 + s / 99) } },
        { submissionId: 'e2', rank: 3, values: { Dice: series.map((s) => 0.7 + s / 998), ASD: series.map((s) => 3 + s / 98) } },
      ],
    }
    const [dice, asd] = pairwiseSignificance(
      table,
      [
        { key: 'Dice', order: 'desc' },
        { key: 'ASD', order: 'asc' },
      ],
      0.05,
    )
    for (const m of [dice, asd]) {
      // All 20 differences favour the better entry: exact p = 2^-20 one way, 1 the other (to 1e-12).
      expect(m.pValues[0][1]).toBeCloseTo(2 ** -20, 15)
      expect(m.pValues[1][0]).toBeCloseTo(1, 12)
      expect(m.pValues.map((r, i) => r[i])).toEqual([null, null, null])
      expect(m.adjusted).toEqual(m.pValues.map((row, i) => holmAdjust(m.pValues.flat()).slice(i * 3, i * 3 + 3)))
      expect(m.significant).toEqual([
        [false, true, true],
        [false, false, true],
        [false, false, false],
      ])
    }
    const stability = computeStability(
      table,
      {
        method: 'mean-position',
        columns: [
          { key: 'Dice', order: 'desc' },
          { key: 'ASD', order: 'asc' },
        ],
      },
      { samples: 200, seed: 1, alpha: 0.05 },
    )
    expect(stability.entries.map((e) => e.beats)).toEqual([['e1', 'e2'], ['e2'], []])
    expect(stability.tiedForFirst).toEqual(['e0'])
    expect(stability.entries[0]).toMatchObject({ medianRank: 1, rankInterval: [1, 1], pFirst: 1 })
    expect(stability.kendallTau).toEqual({ median: 1, q25: 1, q75: 1 })
    expect([stability.samples, stability.seed, stability.alpha, stability.series]).toEqual([200, 1, 0.05, 20])
  })

  it('identical entries tie: p-value 1 both ways (every difference is zero), both tied for first', () => {
    const v = [0.9, 0.8, 0.85, 0.7, 0.95, 0.6, 0.75, 0.88]
    const t = tableOf([v, [...v], v.map((x, s) => x - 0.1 - s / 100)], 'Dice', [1, 1, 3])
    const [m] = pairwiseSignificance(t, [{ key: 'Dice', order: 'desc' }], 0.05)
    expect([m.pValues[0][1], m.pValues[1][0]]).toEqual([1, 1])
    // e2 is worse on all 8 series (distinct differences): exact p = 2^-8, Holm over 6 ordered pairs: 6 · 2^-8 < 0.05.
    expect(m.pValues[0][2]).toBeCloseTo(2 ** -8, 15)
    expect(m.adjusted[0][2]).toBeCloseTo(6 * 2 ** -8, 15)
    expect([m.significant[0][2], m.significant[1][2]]).toEqual([true, true])
    expect(tiedForFirst(t, m)).toEqual(['e0', 'e1'])
    // With 6 series the same gap is not significant after adjustment (6 · 2^-6 > 0.05): all tied.
    const short = tableOf([v.slice(0, 6), v.slice(0, 6), v.slice(0, 6).map((x, s) => x - 0.1 - s / 100)], 'Dice', [1, 1, 3])
    expect(tiedForFirst(short, pairwiseSignificance(short, [{ key: 'Dice', order: 'desc' }], 0.05)[0])).toEqual(['e0', 'e1', 'e2'])
  })

  it('gives null p-values to pairs without a common series, left out of the Holm count', () => {
    const t = tableOf(
      [
        [0.9, 0.8, null, null],
        [null, null, 0.5, 0.4],
        [0.1, 0.2, 0.3, 0.2],
      ],
      'Dice',
    )
    const [m] = pairwiseSignificance(t, [{ key: 'Dice', order: 'desc' }], 0.05)
    expect([m.pValues[0][1], m.pValues[1][0], m.adjusted[0][1], m.significant[0][1]]).toEqual([null, null, null, false])
    expect(m.adjusted.flat().filter((x) => x !== null)).toHaveLength(4)
  })

  it('refuses a significance level outside (0, 1)', () => {
    expect(() => pairwiseSignificance(tableOf([[1]], 'M'), [{ key: 'M', order: 'desc' }], 0)).toThrow(
      /significance level must lie in \(0, 1\), got 0/,
    )
  })

  it('derives a 32-bit seed from the phase and snapshot version', () => {
    const a = stabilitySeed('phase-1', 3)
    expect(Number.isInteger(a) && a >= 0 && a < 2 ** 32).toBe(true)
    expect(stabilitySeed('phase-1', 3)).toBe(a)
    expect(new Set([a, stabilitySeed('phase-1', 4), stabilitySeed('phase-2', 3)]).size).toBe(3)
  })
})
