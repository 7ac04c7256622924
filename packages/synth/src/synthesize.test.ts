import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readImage } from '@spider-bench/scoring'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { planSeries } from './study-plan.ts'
import { synthesize, SynthOptionError } from './synthesize.ts'

describe('planSeries', () => {
  it('the default 39 studies give 97 series: every study T1 + T2, 19 also T2-SPACE', () => {
    const plan = planSeries(1, 39, ['t1', 't2', 't2_SPACE'])
    expect(plan).toHaveLength(97)
    expect(plan.filter((p) => p.sequence === 't2_SPACE')).toHaveLength(19)
    expect(plan.filter((p) => p.sequence === 't1')).toHaveLength(39)
    expect(new Set(plan.map((p) => p.name)).size).toBe(97)
    expect(plan[0]).toMatchObject({ name: '1_t1', study: 1, sequence: 't1' })
  })

  it('filters sequences and keeps at least one T2-SPACE study', () => {
    expect(planSeries(1, 10, ['t1']).map((p) => p.name)).toEqual(Array.from({ length: 10 }, (_, i) => `${i + 1}_t1`))
    expect(planSeries(1, 1, ['t2_SPACE']).map((p) => p.name)).toEqual(['1_t2_SPACE'])
  })
})

describe('synthesize', () => {
  let root = ''
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'synth-'))
  })
  afterAll(async () => {
    await rm(root, { recursive: true, force: true })
  })

  const options = (out: string) => ({
    out,
    studies: 3,
    seed: 7,
    size: 'small' as const,
    predictions: { dilated: 'dilate:1,relabel', missing: 'drop:disc' },
    preview: true,
  })

  it('writes the SPIDER layout, overview.csv, predictions and previews', async () => {
    const out = join(root, 'a')
    const progress: string[] = []
    const result = await synthesize({ ...options(out), onProgress: (p) => progress.push(`${p.done}/${p.total} ${p.series}`) })
    const names = result.series.map((s) => s.name)
    expect(names.filter((n) => n.endsWith('_t1'))).toEqual(['1_t1', '2_t1', '3_t1'])
    expect(names.filter((n) => n.endsWith('_t2_SPACE'))).toHaveLength(1)
    expect(progress).toHaveLength(names.length)
    expect(progress.at(-1)).toMatch(new RegExp(`^${names.length}/${names.length} `))
    const mha = names.map((n) => `${n}.mha`).sort()
    expect((await readdir(out)).sort()).toEqual(['images', 'masks', 'overview.csv', 'predictions', 'preview'])
    expect((await readdir(join(out, 'images'))).sort()).toEqual(mha)
    expect((await readdir(join(out, 'masks'))).sort()).toEqual(mha)
    expect((await readdir(join(out, 'predictions'))).sort()).toEqual(['dilated', 'missing'])
    expect((await readdir(join(out, 'predictions', 'missing'))).sort()).toEqual(mha)
    expect((await readdir(join(out, 'preview'))).sort()).toEqual(names.map((n) => `${n}.png`).sort())

    // Files read back through the scoring package with the promised types and geometry.
    const image = await readImage(join(out, 'images', '2_t2.mha'))
    const mask = await readImage(join(out, 'masks', '2_t2.mha'))
    const pred = await readImage(join(out, 'predictions', 'missing', '2_t2.mha'))
    expect(image.componentType).toBe('int16')
    expect(mask.componentType).toBe('uint8')
    expect([...mask.size]).toEqual([...image.size])
    expect([...pred.origin]).toEqual([...mask.origin])
    const labels = [...new Set(mask.data)].filter((v) => v > 0).sort((a, b) => Number(a) - Number(b))
    expect(labels).toEqual(result.series.find((s) => s.name === '2_t2')!.labels)
    const predDiscs = new Set([...pred.data].filter((v) => v > 200))
    expect(predDiscs.size).toBe(labels.filter((v) => Number(v) > 200).length - 1)

    const csv = (await readFile(join(out, 'overview.csv'), 'utf8')).trimEnd().split('\n')
    expect(csv[0]).toBe('study,series_name,sequence,split,sex,age,size_x,size_y,size_z,spacing_x,spacing_y,spacing_z')
    expect(csv).toHaveLength(names.length + 1)
    const row = csv.find((l) => l.split(',')[1] === '2_t2')!.split(',')
    expect(row.slice(0, 3)).toEqual(['2', '2_t2', 't2'])
    expect(['training', 'validation']).toContain(row[3])
    expect(['F', 'M']).toContain(row[4])
    expect(Number(row[5])).toBeGreaterThanOrEqual(18)
    expect(row.slice(6, 9).map(Number)).toEqual([...image.size])
    expect(row.slice(9, 12).map(Number)).toEqual([...image.spacing])
    // The T1 and T2 rows of a study share sex and age.
    const t1 = csv.find((l) => l.split(',')[1] === '2_t1')!.split(',')
    expect(t1.slice(4, 6)).toEqual(row.slice(4, 6))
  })

  it('the same seed gives identical bytes in every file', async () => {
    const a = join(root, 'a')
    const b = join(root, 'b')
    await synthesize(options(b))
    const files = async (dir: string, sub = ''): Promise<string[]> => {
      const out: string[] = []
      for (const e of await readdir(join(dir, sub), { withFileTypes: true })) {
        if (e.isDirectory()) out.push(...(await files(dir, join(sub, e.name))))
        else out.push(join(sub, e.name))
      }
      return out.sort()
    }
    const list = await files(a)
    expect(await files(b)).toEqual(list)
    expect(list.length).toBeGreaterThan(20)
    for (const f of list) expect((await readFile(join(b, f))).equals(await readFile(join(a, f))), f).toBe(true)
    // Worker threads write the very same bytes.
    const w = join(root, 'w')
    await synthesize({ ...options(w), threads: 2 })
    for (const f of list) expect((await readFile(join(w, f))).equals(await readFile(join(a, f))), f).toBe(true)
    // A different seed gives different data.
    const c = join(root, 'c')
    await synthesize({ ...options(c), seed: 8, predictions: {}, preview: false })
    expect((await readFile(join(c, 'images', '1_t1.mha'))).equals(await readFile(join(a, 'images', '1_t1.mha')))).toBe(false)
  })

  it('never writes into a non-empty folder unless forced', async () => {
    const out = join(root, 'busy')
    await mkdir(out)
    await writeFile(join(out, 'keep.txt'), 'precious')
    await expect(synthesize({ out, studies: 1, size: 'small' })).rejects.toThrow(/busy is not empty \(1 entries\)/)
    expect(await readdir(out)).toEqual(['keep.txt'])
    await synthesize({ out, studies: 1, size: 'small', sequences: ['t1'], force: true })
    expect(await readFile(join(out, 'keep.txt'), 'utf8')).toBe('precious')
    expect(await readdir(join(out, 'images'))).toEqual(['1_t1.mha'])
    await expect(synthesize({ out: join(out, 'keep.txt'), studies: 1 })).rejects.toThrow(/keep.txt exists and is not a folder/)
  })

  it.each([
    [{ studies: 0 }, /studies: expected an integer from 1 to 10000, got 0/],
    [{ studies: 2.5 }, /studies: .* got 2.5/],
    [{ seed: -1 }, /seed: expected an integer from 0 to 4294967295, got -1/],
    [{ size: 'huge' }, /size: expected realistic or small, got "huge"/],
    [{ sequences: [] }, /sequences: expected at least one/],
    [{ sequences: ['t1', 'flair'] }, /sequences: unknown sequence "flair"/],
    [{ sequences: ['t1', 't1'] }, /names a sequence twice/],
    [{ threads: 0 }, /threads: expected an integer from 1 to 64, got 0/],
    [{ predictions: { 'a/b': 'dilate:1' } }, /predictions: invalid name "a\/b"/],
    [{ predictions: { good: 'dilate:x' } }, /predictions: good=dilate:x: "dilate:x": dilate needs an integer argument/],
  ])('rejects bad options before writing anything: %j', async (bad, message) => {
    const out = join(root, `bad-${Math.random().toString(36).slice(2)}`)
    const err = await synthesize({ out, ...(bad as object) }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(SynthOptionError)
    expect((err as Error).message).toMatch(message)
    await expect(readdir(out)).rejects.toThrow(/ENOENT/)
  })
})
