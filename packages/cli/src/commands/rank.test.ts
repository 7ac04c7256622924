import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { computeStability, rankLeaderboard } from '@spider-bench/leaderboard'
import { buildResultDocument, profileMetrics, type SeriesResult } from '@spider-bench/scoring'
import { Rng } from '@spider-bench/random'
import { runCli } from '../testing/run-cli.ts'
import type { RankOutput } from './rank.ts'

const dir = mkdtempSync(join(tmpdir(), 'rank-cli-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const SERIES = Array.from({ length: 24 }, (_, i) => `${Math.floor(i / 2) + 1}_${i % 2 ? 't2' : 't1'}`)

/** A score document whose per-series values centre on `quality`; `offset` shifts Dice on every series. */
function document(quality: number, seed: number, offset = 0) {
  const rng = new Rng(seed)
  const series: SeriesResult[] = SERIES.map((name, s) => ({
    name,
    sequence: name.endsWith('t1') ? 't1' : 't2',
    status: 'scored',
    structures: [],
    metrics: Object.fromEntries(
      profileMetrics('spider').map(({ key, order }) => {
        const hard = Math.sin(s) * 0.05
        const v =
          order === 'desc'
            ? Math.min(1, quality + hard + rng.normal(0, 0.03)) + offset
            : Math.max(0, 2 - quality - hard + rng.normal(0, 0.1))
        return [key, key === 'DiceSpinalCanal' && s === 3 ? null : v]
      }),
    ),
  }))
  return buildResultDocument('spider', series)
}

function write(name: string, doc: unknown): string {
  const file = join(dir, `${name}.json`)
  writeFileSync(file, typeof doc === 'string' ? doc : JSON.stringify(doc))
  return file
}

const run = (args: string[]) => runCli(['rank', ...args])

describe('spider-bench rank', () => {
  const good = document(0.9, 1)
  const files = [write('ok', document(0.85, 2)), write('good', good), write('good-twin', good), write('weak', document(0.7, 3))]

  it('ranks like the leaderboard and prints intervals, whom each entry beats and who is tied for first', async () => {
    const json = join(dir, 'out.json')
    const r = await run([
      ...files,
      '--metrics',
      'DiceVertebrae,ASDVertebrae,DiceSpinalCanal:desc',
      '--samples',
      '300',
      '--seed',
      '7',
      '--json',
      json,
    ])
    expect(r.code, r.err).toBe(0)
    const out = JSON.parse(readFileSync(json, 'utf8')) as RankOutput
    const columns = [
      { key: 'DiceVertebrae', order: 'desc' },
      { key: 'ASDVertebrae', order: 'asc' },
      { key: 'DiceSpinalCanal', order: 'desc' },
    ] as const
    expect(out.columns).toEqual(columns)
    // The rows are the leaderboard's ranking of the aggregate means.
    const docs = { ok: document(0.85, 2), good, 'good-twin': good, weak: document(0.7, 3) }
    const expectedRows = rankLeaderboard(
      Object.entries(docs).map(([name, d], n) => ({
        submissionId: name,
        participant: name,
        createdAt: new Date(Date.UTC(2000, 0, 1) + n * 1000).toISOString(),
        metrics: Object.fromEntries(Object.entries(d.aggregates).map(([k, a]) => [k, a.mean])),
      })),
      { method: 'mean-position', entries: 'all', columns },
    )
    expect(out.rows).toEqual(JSON.parse(JSON.stringify(expectedRows)))
    expect(out.rows.map((row) => [row.rank, row.submissionId])).toEqual([
      [1, 'good'],
      [1, 'good-twin'],
      [3, 'ok'],
      [4, 'weak'],
    ])
    // The figures are the library's on the documents' per-series values, series sorted by name.
    const sorted = [...SERIES].sort()
    const table = {
      series: sorted,
      entries: out.rows.map((row) => ({
        submissionId: row.submissionId,
        rank: row.rank,
        values: Object.fromEntries(
          columns.map((c) => [
            c.key,
            sorted.map((name) => docs[row.submissionId as keyof typeof docs].series.find((s) => s.name === name)?.metrics[c.key] ?? null),
          ]),
        ),
      })),
    }
    expect(out.stability).toEqual(
      JSON.parse(JSON.stringify(computeStability(table, { method: 'mean-position', columns }, { samples: 300, seed: 7, alpha: 0.05 }))),
    )
    // Identical documents share everything; neither beats the other.
    expect(out.stability.entries[0]).toEqual({ ...out.stability.entries[1], submissionId: 'good' })
    expect(out.stability.tiedForFirst).toEqual(expect.arrayContaining(['good', 'good-twin']))
    expect(out.stability.entries[3]).toMatchObject({ submissionId: 'weak', rankInterval: [4, 4], pFirst: 0, beats: [] })
    expect(out.stability.entries[0].beats).toContain('weak')
    // The table.
    expect(r.out).toMatch(/^ranking: mean-position over DiceVertebrae↑, ASDVertebrae↓, DiceSpinalCanal↑/)
    expect(r.out).toMatch(/4 entries, 24 series; bootstrap B = 300, seed 7; paired Wilcoxon, Holm, α = 0\.05/)
    expect(r.out).toMatch(/\n4\s+weak\s+4\.000\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+4\s+\[4, 4\]\s+0\.000\s+-\n/)
    expect(r.out).toMatch(/statistically tied for first on DiceVertebrae: good, good-twin/)
    expect(r.out).toMatch(/Kendall's τ \(ranking vs bootstrap samples\): median [\d.]+, quartiles/)
    expect(r.err).toBe(`rows and figures written to ${json}`)
  })

  it('gives an entry better on every series P(first) 1 and the interval [1, 1]', async () => {
    const best = write('best', document(0.9, 1, 0.05))
    const r = await run([files[0], best, files[3], '--method', 'absolute', '--metrics', 'DiceVertebrae', '--samples', '200'])
    expect(r.code, r.err).toBe(0)
    expect(r.out).toMatch(/\n1\s+best\s+[\d.]+\s+[\d.]+\s+1\s+\[1, 1\]\s+1\.000\s+ok, weak\n/)
    expect(r.out).toMatch(/statistically tied for first on DiceVertebrae: best\n/)
  })

  it('defaults to every metric of the profile, B = 1000 and seed 1', async () => {
    const json = join(dir, 'defaults.json')
    expect((await run([files[0], files[3], '--json', json])).code).toBe(0)
    const out = JSON.parse(readFileSync(json, 'utf8')) as RankOutput
    expect(out.columns).toEqual(profileMetrics('spider').map(({ key, order }) => ({ key, order })))
    expect([out.method, out.stability.samples, out.stability.seed, out.stability.alpha]).toEqual(['mean-position', 1000, 1, 0.05])
  })

  it('exits 1 with one line naming the problem', async () => {
    const cases: Array<[string[], RegExp]> = [
      [[], /give at least one RESULT\.json/],
      [[files[0], '--method', 'sum'], /--method expects absolute, mean-position, median-position, got "sum"/],
      [[files[0], '--metrics', 'Dice'], /--metrics: "Dice" is not a metric of profile spider \(known: DiceVertebrae, /],
      [[files[0], '--metrics', 'DiceVertebrae:up'], /--metrics: "DiceVertebrae:up": expected KEY, KEY:asc or KEY:desc/],
      [[files[0], '--metrics', 'DiceVertebrae,DiceVertebrae:asc'], /--metrics lists "DiceVertebrae" twice/],
      [[files[0], '--samples', '0'], /--samples expects a positive integer, got "0"/],
      [[files[0], '--seed', '4294967296'], /--seed must be at most 4294967295/],
      [[files[0], '--alpha', '1'], /--alpha expects a number between 0 and 1, got "1"/],
      [[join(dir, 'missing.json')], /missing\.json: cannot read the file \(ENOENT\)/],
      [[write('broken', '{"profile": ')], /broken\.json: not JSON/],
      [[write('other', { profile: 'nnunet', aggregates: {}, series: [] })], /other\.json: no known "profile"/],
      [[write('noseries', { profile: 'spider', aggregates: {} })], /noseries\.json: expected "aggregates" and a "series" list/],
      [
        [files[0], write('official', { ...good, profile: 'spider-official' })],
        /official: profile "spider-official" differs from ok's "spider"/,
      ],
      [[files[0], files[0]], /two documents are named "ok"/],
    ]
    for (const [args, message] of cases) {
      const r = await run(args)
      expect(r.code, args.join(' ')).toBe(1)
      expect(r.err, args.join(' ')).toMatch(message)
      expect(r.err.split('\n'), args.join(' ')).toHaveLength(1)
    }
    const help = await run(['--help'])
    expect(help.code).toBe(0)
    expect(help.out).toMatch(/usage: spider-bench rank RESULT\.json\.\.\. \[options\]/)
    expect(help.out).toMatch(/--seed N/)
  })
})
