import { describe, expect, it } from 'vitest'
import { aggregateSeries, aggregateValues } from './aggregate.ts'
import { buildResultDocument } from './document.ts'
import type { SeriesResult } from './result.ts'
import { SCORER_VERSION } from './version.ts'

function series(name: string, metrics: Record<string, number | null>): SeriesResult {
  return { name, sequence: name.endsWith('_t1') ? 't1' : 't2', status: 'scored', metrics, structures: [] }
}

describe('aggregateValues', () => {
  it('uses the sample standard deviation (n-1) and the numpy median', () => {
    const a = aggregateValues([4, 1, 3, 2])
    expect(a).toEqual({ mean: 2.5, std: Math.sqrt(5 / 3), median: 2.5, min: 1, max: 4, count: 4 })
    expect(aggregateValues([3, 1, 2]).median).toBe(2)
  })

  it('skips nulls (NaN) and averages the 999 sentinels in as numbers', () => {
    expect(aggregateValues([null, 1, 999, null])).toMatchObject({ mean: 500, count: 2, min: 1, max: 999 })
  })

  it('gives null std for one value and nulls for none', () => {
    expect(aggregateValues([0.5])).toEqual({ mean: 0.5, std: null, median: 0.5, min: 0.5, max: 0.5, count: 1 })
    expect(aggregateValues([null])).toEqual({ mean: null, std: null, median: null, min: null, max: null, count: 0 })
  })
})

describe('aggregateSeries and buildResultDocument', () => {
  const all = [
    series('b_t2', { OveralASD: 3, OveralDiceScore: 0.5 }),
    series('a_t1', { OveralASD: null, OveralDiceScore: 1 }),
    series('c_t2', { OveralASD: 1, OveralDiceScore: 0 }),
  ]

  it('aggregates overall and per sequence over the profile keys', () => {
    const { aggregates, bySequence } = aggregateSeries('spider-official', all)
    expect(Object.keys(aggregates)).toEqual([
      'DiceScoreVertebrae',
      'DiceScoreDiscs',
      'DiceScoreSpinalCanal',
      'OveralDiceScore',
      'DetectionRateVertebrae',
      'DetectionRateDiscs',
      'ASDVertebrae',
      'ASDDiscs',
      'ASDSpinalCanal',
      'OveralASD',
    ])
    expect(aggregates.OveralASD).toMatchObject({ mean: 2, count: 2 })
    expect(aggregates.DiceScoreDiscs.count).toBe(0)
    expect(Object.keys(bySequence)).toEqual(['t1', 't2'])
    expect(bySequence.t1?.OveralDiceScore.mean).toBe(1)
    expect(bySequence.t2?.OveralDiceScore).toMatchObject({ mean: 0.25, count: 2 })
  })

  it('builds the document with series sorted by name', () => {
    const doc = buildResultDocument('spider-official', all)
    expect(doc.profile).toBe('spider-official')
    expect(doc.scorerVersion).toBe(SCORER_VERSION)
    expect(doc.series.map((s) => s.name)).toEqual(['a_t1', 'b_t2', 'c_t2'])
  })
})
