import { describe, it, expect } from 'vitest'
import { candidateCounts, candidateMetrics } from './candidate-metrics.ts'

describe('candidateMetrics', () => {
  const specs = [
    { key: 'DiceVertebrae', order: 'desc' as const },
    { key: 'ASDVertebrae', order: 'asc' as const },
    { key: 'HD95Discs', order: 'asc' as const },
  ]

  it('takes the mean of every metric of the profile, in profile order, null when missing', () => {
    const aggregates = { DiceVertebrae: { mean: 0.91, std: 0.02, count: 3 }, ASDVertebrae: { mean: null, count: 0 }, Extra: { mean: 1 } }
    const m = candidateMetrics(specs, aggregates)
    expect(m).toEqual({ DiceVertebrae: 0.91, ASDVertebrae: null, HD95Discs: null })
    expect(Object.keys(m)).toEqual(['DiceVertebrae', 'ASDVertebrae', 'HD95Discs'])
  })

  it('tolerates a missing aggregates document', () => {
    expect(candidateMetrics(specs, null)).toEqual({ DiceVertebrae: null, ASDVertebrae: null, HD95Discs: null })
  })

  it('records the number of series behind each value, 0 when missing', () => {
    const aggregates = { DiceVertebrae: { mean: 0.91, count: 3 }, ASDVertebrae: { mean: null, count: 0 }, HD95Discs: { mean: 2 } }
    expect(candidateCounts(specs, aggregates)).toEqual({ DiceVertebrae: 3, ASDVertebrae: 0, HD95Discs: 0 })
    expect(candidateCounts(specs, null)).toEqual({ DiceVertebrae: 0, ASDVertebrae: 0, HD95Discs: 0 })
  })
})
