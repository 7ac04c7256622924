import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { buildResultDocument } from './document.ts'
import type { ProfileName } from './profiles/profile.ts'
import type { SeriesResult } from './result.ts'
import { scoreSeriesFiles } from './score-series-files.ts'

// Vectors from the official scorer and an independent scipy implementation (fixture README).
const dir = fileURLToPath(new URL('../test/fixtures/spider-vectors/', import.meta.url))
const official = JSON.parse(readFileSync(`${dir}official-expected.json`, 'utf8')) as {
  aggregates: Record<string, { mean: number | null; std: number | null }>
  series: Array<Record<string, number | string | null>>
}
const spider = JSON.parse(readFileSync(`${dir}spider-expected.json`, 'utf8')) as {
  aggregates: Record<string, Record<string, number | null>>
  bySequence: Record<string, Record<string, Record<string, number | null>>>
  series: Array<Omit<SeriesResult, 'status'>>
}
const names = official.series.map((s) => s.name as string)

async function scoreAll(profile: ProfileName): Promise<SeriesResult[]> {
  return Promise.all(
    names.map((name) => scoreSeriesFiles({ name, truthPath: `${dir}truth/${name}.mha`, predPath: `${dir}pred/${name}.mha`, profile })),
  )
}

function expectClose(actual: number | null | undefined, expected: number | null, what: string): void {
  if (expected === null) {
    expect(actual ?? null, what).toBeNull()
    return
  }
  expect(actual, what).not.toBeNull()
  expect(Math.abs((actual as number) - expected), `${what}: ${actual} vs ${expected}`).toBeLessThanOrEqual(
    1e-9 * Math.max(1, Math.abs(expected)),
  )
}

describe('spider-vectors fixture', () => {
  it('spider-official reproduces the official scorer per series and in aggregate', async () => {
    const series = await scoreAll('spider-official')
    for (const expected of official.series) {
      const got = series.find((s) => s.name === expected.name)!
      expect(got.status).toBe('scored')
      for (const [key, value] of Object.entries(expected)) {
        if (key === 'name') continue
        expectClose(got.metrics[key], value as number | null, `${expected.name} ${key}`)
      }
      expect(Object.keys(got.metrics).sort()).toEqual(
        Object.keys(expected)
          .filter((k) => k !== 'name')
          .sort(),
      )
    }
    const doc = buildResultDocument('spider-official', series)
    for (const [key, { mean, std }] of Object.entries(official.aggregates)) {
      expectClose(doc.aggregates[key].mean, mean, `aggregate ${key} mean`)
      expectClose(doc.aggregates[key].std, std, `aggregate ${key} std`)
    }
  })

  it('spider reproduces the reference implementation: metrics, structures, aggregates', async () => {
    const doc = buildResultDocument('spider', await scoreAll('spider'))
    for (const expected of spider.series) {
      const got = doc.series.find((s) => s.name === expected.name)!
      expect(got.sequence).toBe(expected.sequence)
      for (const [key, value] of Object.entries(expected.metrics)) expectClose(got.metrics[key], value, `${expected.name} ${key}`)
      expect(got.structures.map((s) => [s.label, s.class, s.matchedLabel, s.detected])).toEqual(
        expected.structures.map((s) => [s.label, s.class, s.matchedLabel, s.detected]),
      )
      expected.structures.forEach((s, i) => {
        const g = got.structures[i]
        expectClose(g.dice, s.dice, `${expected.name} label ${s.label} dice`)
        expectClose(g.asd, s.asd, `${expected.name} label ${s.label} asd`)
        expectClose(g.hd95, s.hd95, `${expected.name} label ${s.label} hd95`)
      })
    }
    const compare = (
      got: Record<string, Record<string, number | null>>,
      want: Record<string, Record<string, number | null>>,
      where: string,
    ) => {
      expect(Object.keys(got)).toEqual(Object.keys(want))
      for (const [key, stats] of Object.entries(want)) {
        for (const [stat, value] of Object.entries(stats)) expectClose(got[key][stat as 'mean'], value, `${where} ${key} ${stat}`)
      }
    }
    compare(doc.aggregates as never, spider.aggregates, 'aggregate')
    expect(Object.keys(doc.bySequence).sort()).toEqual(Object.keys(spider.bySequence).sort())
    for (const [sequence, aggregates] of Object.entries(spider.bySequence)) {
      compare(doc.bySequence[sequence as 't1'] as never, aggregates, sequence)
    }
  })
})
