import { describe, it, expect } from 'vitest'
import { parseRankingSettings, RankingSettingsError } from './settings.ts'

const ok = { method: 'mean-position', entries: 'best', columns: [{ key: 'DiceVertebrae', order: 'desc' }] }

describe('parseRankingSettings', () => {
  it('accepts valid settings', () => {
    expect(parseRankingSettings(ok, ['DiceVertebrae', 'ASDVertebrae'])).toEqual(ok)
  })

  it('names the offending field and value', () => {
    expect(() => parseRankingSettings({ ...ok, method: 'sum' })).toThrow(/method: got "sum", expected one of absolute, mean-position, median-position/)
    expect(() => parseRankingSettings({ ...ok, entries: 'first' })).toThrow(/entries: got "first"/)
    expect(() => parseRankingSettings({ ...ok, columns: [] })).toThrow(/rankingMetrics: got \[\]/)
    expect(() => parseRankingSettings({ ...ok, columns: [{ key: 'X', order: 'up' }] })).toThrow(/rankingMetrics\[0\]\.order: got "up"/)
    expect(() => parseRankingSettings({ ...ok, columns: [{ order: 'asc' }] })).toThrow(/rankingMetrics\[0\]\.key/)
    expect(() => parseRankingSettings(ok, ['ASDVertebrae'])).toThrow(/"DiceVertebrae" is not a metric of the scoring profile \(ASDVertebrae\)/)
    expect(() =>
      parseRankingSettings({ ...ok, columns: [ok.columns[0], { key: 'DiceVertebrae', order: 'asc' }] }),
    ).toThrow(/rankingMetrics\[1\]\.key: "DiceVertebrae" is listed twice/)
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
