import { describe, it, expect } from 'vitest'
import { parseRankingSettings, parseStabilitySettings, RankingSettingsError } from './settings.ts'

const ok = { method: 'mean-position', entries: 'best', columns: [{ key: 'DiceVertebrae', order: 'desc' }] }

describe('parseRankingSettings', () => {
  it('accepts valid settings', () => {
    expect(parseRankingSettings(ok, ['DiceVertebrae', 'ASDVertebrae'])).toEqual(ok)
  })

  it('names the offending field and value', () => {
    expect(() => parseRankingSettings({ ...ok, method: 'sum' })).toThrow(
      /method: got "sum", expected one of absolute, mean-position, median-position/,
    )
    expect(() => parseRankingSettings({ ...ok, entries: 'first' })).toThrow(/entries: got "first"/)
    expect(() => parseRankingSettings({ ...ok, columns: [] })).toThrow(/rankingMetrics: got \[\]/)
    expect(() => parseRankingSettings({ ...ok, columns: [{ key: 'X', order: 'up' }] })).toThrow(/rankingMetrics\[0\]\.order: got "up"/)
    expect(() => parseRankingSettings({ ...ok, columns: [{ order: 'asc' }] })).toThrow(/rankingMetrics\[0\]\.key/)
    expect(() => parseRankingSettings(ok, ['ASDVertebrae'])).toThrow(
      /"DiceVertebrae" is not a metric of the scoring profile \(ASDVertebrae\)/,
    )
    expect(() => parseRankingSettings({ ...ok, columns: [ok.columns[0], { key: 'DiceVertebrae', order: 'asc' }] })).toThrow(
      /rankingMetrics\[1\]\.key: "DiceVertebrae" is listed twice/,
    )
  })

  it('throws a typed error with a stable code', () => {
    try {
      parseRankingSettings({ ...ok, method: 1 })
      expect.unreachable()
    } catch (err) {
      expect(err).toBeInstanceOf(RankingSettingsError)
      expect((err as RankingSettingsError).code).toBe('INVALID_RANKING_SETTINGS')
      expect((err as RankingSettingsError).field).toBe('method')
    }
  })
})

describe('parseStabilitySettings', () => {
  it('accepts bootstrap samples from 100 to 10 000 and a level in (0, 1)', () => {
    expect(parseStabilitySettings({ samples: 1000, alpha: 0.05 })).toEqual({ samples: 1000, alpha: 0.05 })
    expect(parseStabilitySettings({ samples: 100, alpha: 0.5 })).toEqual({ samples: 100, alpha: 0.5 })
  })

  it('names the offending field and value', () => {
    expect(() => parseStabilitySettings({ samples: 99, alpha: 0.05 })).toThrow(
      /bootstrapSamples: got 99, expected an integer from 100 to 10000/,
    )
    expect(() => parseStabilitySettings({ samples: 1000.5, alpha: 0.05 })).toThrow(/bootstrapSamples: got 1000\.5/)
    expect(() => parseStabilitySettings({ samples: '1000', alpha: 0.05 })).toThrow(/bootstrapSamples: got "1000"/)
    expect(() => parseStabilitySettings({ samples: 1000, alpha: 1 })).toThrow(/significanceLevel: got 1, expected a number between 0 and 1/)
    expect(() => parseStabilitySettings({ samples: 1000, alpha: null })).toThrow(/significanceLevel: got null/)
  })
})
