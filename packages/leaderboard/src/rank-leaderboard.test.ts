import { describe, it, expect } from 'vitest'
import { rankLeaderboard, scoreCandidates } from './rank-leaderboard.ts'
import type { Candidate, RankingSettings } from './types.ts'

const cols = [
  { key: 'Dice', order: 'desc' },
  { key: 'ASD', order: 'asc' },
  { key: 'Det', order: 'desc' },
] as const

function cand(id: string, participant: string, day: number, Dice: number | null, ASD: number | null, Det: number | null): Candidate {
  return { submissionId: id, participant, createdAt: new Date(Date.UTC(2026, 0, day)).toISOString(), metrics: { Dice, ASD, Det } }
}

const settings = (method: RankingSettings['method'], entries: RankingSettings['entries'] = 'all'): RankingSettings => ({
  method,
  entries,
  columns: cols,
})

describe('scoreCandidates', () => {
  // Positions:        Dice  ASD  Det   mean   median
  // a: .90 .50 .95 ->  2     2    2    2      2
  // b: .95 .80 .90 ->  1     3    3    7/3    3
  // c: .80 .30 1.0 ->  3     1    1    5/3    1
  const table = [cand('a', 'pa', 1, 0.9, 0.5, 0.95), cand('b', 'pb', 2, 0.95, 0.8, 0.9), cand('c', 'pc', 3, 0.8, 0.3, 1.0)]

  it('absolute ranks by the first metric only, rankScore is its value', () => {
    const s = scoreCandidates(table, settings('absolute'))
    expect(s.map((x) => [x.candidate.submissionId, x.rank, x.rankScore])).toEqual([
      ['a', 2, 0.9],
      ['b', 1, 0.95],
      ['c', 3, 0.8],
    ])
  })

  it('mean-position ranks the mean of per-metric positions', () => {
    const s = scoreCandidates(table, settings('mean-position'))
    expect(s.map((x) => [x.candidate.submissionId, x.rank, x.rankScore])).toEqual([
      ['a', 2, 2],
      ['b', 3, 7 / 3],
      ['c', 1, 5 / 3],
    ])
  })

  it('median-position ranks the median of per-metric positions', () => {
    const s = scoreCandidates(table, settings('median-position'))
    expect(s.map((x) => [x.candidate.submissionId, x.rank, x.rankScore])).toEqual([
      ['a', 2, 2],
      ['b', 3, 3],
      ['c', 1, 1],
    ])
  })

  it('shares ranks on equal scores and skips the next rank (1, 1, 3)', () => {
    const tied = [cand('a', 'pa', 1, 0.9, 0.5, 1), cand('b', 'pb', 2, 0.9, 0.5, 1), cand('c', 'pc', 3, 0.8, 0.6, 1)]
    for (const method of ['absolute', 'mean-position', 'median-position'] as const) {
      expect(scoreCandidates(tied, settings(method)).map((x) => x.rank)).toEqual([1, 1, 3])
    }
    // Different positions but equal means also tie: positions (1,3) and (2,2) and (3,1).
    const two: RankingSettings = { method: 'mean-position', entries: 'all', columns: cols.slice(0, 2) }
    const cross = [cand('a', 'pa', 1, 0.9, 0.7, 0), cand('b', 'pb', 2, 0.8, 0.6, 0), cand('c', 'pc', 3, 0.7, 0.5, 0)]
    expect(scoreCandidates(cross, two).map((x) => [x.rank, x.rankScore])).toEqual([
      [1, 2],
      [1, 2],
      [1, 2],
    ])
  })

  it('ranks a missing metric last, never first, in either order', () => {
    const t = [cand('a', 'pa', 1, null, null, 1), cand('b', 'pb', 2, 0.1, 9.0, 1), cand('c', 'pc', 3, 0.2, 8.0, 1)]
    expect(scoreCandidates(t, settings('absolute')).map((x) => [x.rank, x.rankScore])).toEqual([
      [3, null],
      [2, 0.1],
      [1, 0.2],
    ])
    const asdFirst: RankingSettings = { method: 'absolute', entries: 'all', columns: [{ key: 'ASD', order: 'asc' }] }
    expect(scoreCandidates(t, asdFirst).map((x) => x.rank)).toEqual([3, 2, 1])
    // Positions: a (3, 3, 1) -> mean 7/3; b (2, 2, 1) -> 5/3; c (1, 1, 1) -> 1
    expect(scoreCandidates(t, settings('mean-position')).map((x) => [x.rank, x.rankScore])).toEqual([
      [3, 7 / 3],
      [2, 5 / 3],
      [1, 1],
    ])
  })

  it('treats a metric key absent from the table as missing', () => {
    const t = [cand('a', 'pa', 1, 0.5, 1, 1), { ...cand('b', 'pb', 2, 0, 0, 0), metrics: { ASD: 0.1, Det: 1 } }]
    expect(scoreCandidates(t, settings('absolute')).map((x) => x.rank)).toEqual([1, 2])
  })

  it('refuses settings without columns', () => {
    expect(() => scoreCandidates([], { method: 'absolute', entries: 'all', columns: [] })).toThrow(/at least one metric/)
  })
})

describe('rankLeaderboard entries', () => {
  // Participant pa has three submissions, pb two, pc one.
  const table = [
    cand('pa-1', 'pa', 1, 0.7, 0.9, 0.9),
    cand('pa-2', 'pa', 5, 0.95, 0.2, 1.0), // pa's best
    cand('pa-3', 'pa', 9, 0.6, 1.5, 0.8), // pa's latest
    cand('pb-1', 'pb', 2, 0.9, 0.3, 1.0), // pb's best
    cand('pb-2', 'pb', 8, 0.5, 2.0, 0.7), // pb's latest
    cand('pc-1', 'pc', 3, 0.8, 0.5, 0.95),
  ]

  it('"all" ranks every submission, ordered by rank then time', () => {
    const rows = rankLeaderboard(table, settings('absolute', 'all'))
    expect(rows.map((r) => [r.rank, r.submissionId])).toEqual([
      [1, 'pa-2'],
      [2, 'pb-1'],
      [3, 'pc-1'],
      [4, 'pa-1'],
      [5, 'pa-3'],
      [6, 'pb-2'],
    ])
    expect(rows[0]).toEqual({
      rank: 1,
      participant: 'pa',
      submissionId: 'pa-2',
      createdAt: '2026-01-05T00:00:00.000Z',
      rankScore: 0.95,
      metrics: { Dice: 0.95, ASD: 0.2, Det: 1.0 },
    })
  })

  it('"best" keeps each participant\'s best-ranked submission and re-ranks them', () => {
    const rows = rankLeaderboard(table, settings('mean-position', 'best'))
    expect(rows.map((r) => [r.rank, r.submissionId])).toEqual([
      [1, 'pa-2'],
      [2, 'pb-1'],
      [3, 'pc-1'],
    ])
    // Positions among the three chosen: pa-2 (1,1,1), pb-1 (2,2,1), pc-1 (3,3,3).
    expect(rows.map((r) => r.rankScore)).toEqual([1, 5 / 3, 3])
  })

  it('"best" breaks a participant\'s own tie by the earliest submission', () => {
    const t = [cand('x-2', 'x', 4, 0.9, 1, 1), cand('x-1', 'x', 2, 0.9, 1, 1), cand('y-1', 'y', 1, 0.5, 1, 1)]
    expect(rankLeaderboard(t, settings('absolute', 'best')).map((r) => r.submissionId)).toEqual(['x-1', 'y-1'])
  })

  it('"latest" keeps each participant\'s newest submission', () => {
    const rows = rankLeaderboard(table, settings('absolute', 'latest'))
    expect(rows.map((r) => [r.rank, r.submissionId])).toEqual([
      [1, 'pc-1'],
      [2, 'pa-3'],
      [3, 'pb-2'],
    ])
  })

  it('orders tied rows by submission time', () => {
    const t = [cand('late', 'p1', 9, 0.9, 1, 1), cand('early', 'p2', 1, 0.9, 1, 1)]
    expect(rankLeaderboard(t, settings('absolute')).map((r) => [r.rank, r.submissionId])).toEqual([
      [1, 'early'],
      [1, 'late'],
    ])
  })

  it('returns no rows for no candidates', () => {
    expect(rankLeaderboard([], settings('median-position', 'best'))).toEqual([])
  })
})
