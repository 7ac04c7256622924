import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writeImage, type Image3D, type ResultDocument } from '@spider-bench/scoring'
import { runCli } from '../testing/run-cli.ts'

const root = fileURLToPath(new URL('../../../../', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'score-cli-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const SIZE: [number, number, number] = [8, 6, 4]
const N = SIZE[0] * SIZE[1] * SIZE[2]

function mask(componentType: Image3D['componentType'] = 'uint8', patch: Partial<Image3D> = {}): Image3D {
  const data = componentType === 'uint8' ? new Uint8Array(N) : componentType === 'int16' ? new Int16Array(N) : new Float32Array(N)
  for (let z = 0; z < 4; z++)
    for (let y = 0; y < 6; y++)
      for (let x = 0; x < 8; x++) {
        const i = (z * 6 + y) * 8 + x
        data[i] = y < 2 ? (x < 4 ? 1 : 201) : y < 4 ? 100 : 0
      }
  return { size: SIZE, spacing: [0.6, 0.6, 3.3], origin: [1, 2, 3], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1], componentType, data, ...patch }
}

/** A hand-written .mha header (for what writeImage cannot produce) followed by raw bytes. */
function rawMha(file: string, fields: string, bytes: number): void {
  writeFileSync(
    file,
    Buffer.concat([
      Buffer.from(
        `ObjectType = Image\n${fields}\nBinaryData = True\nBinaryDataByteOrderMSB = False\n` +
          'CompressedData = False\nElementDataFile = LOCAL\n',
      ),
      Buffer.alloc(bytes),
    ]),
  )
}

const run = (args: string[]) => runCli(['score', ...args])

const truth = join(dir, 'truth')
const pred = join(dir, 'pred')
// Series name -> expected error (a regular expression), or null when the series must score.
const CASES: Record<string, RegExp | null> = {
  s01_t1: null,
  s02_t2: null, // all-zero prediction: valid, every structure missed
  s03_t1: /s03_t1\.mha: truncated file/,
  s04_t1: /s04_t1\.nii\.gz: cannot read image/,
  s05_t1: /s05_t1\.mha: unsupported pixel type int64/,
  s06_t1: /s06_t1\.mha: expected a 3D image, got 2D/,
  s07_t1: /s07_t1\.mha: expected a 3D image, got 4D/,
  s08_t1: /s08_t1\.mha: size 8x6x5 differs from the reference size 8x6x4/,
  s09_t1: /s09_t1\.mha: spacing \[0\.6, 0\.7, 3\.3\] differs from the reference spacing \[0\.6, 0\.6, 3\.3\]/,
  s10_t1: /s10_t1\.nii\.gz: fractional label 0\.5 at voxel \(0, 0, 0\)/,
  s11_t1: /s11_t1\.nrrd: negative label -4 at voxel \(0, 0, 0\)/,
  s12_t2_SPACE: /missing prediction/,
}

beforeAll(async () => {
  mkdirSync(truth)
  mkdirSync(pred)
  for (const name of Object.keys(CASES)) await writeImage(mask(), join(truth, `${name}.mha`))
  await writeImage(mask(), join(pred, 's01_t1.nii.gz')) // any extension pairs by base name
  await writeImage({ ...mask(), data: new Uint8Array(N) }, join(pred, 's02_t2.mha'))
  await writeImage(mask(), join(pred, 's03_t1.mha'))
  const whole = readFileSync(join(pred, 's03_t1.mha'))
  writeFileSync(join(pred, 's03_t1.mha'), whole.subarray(0, whole.length - 20))
  writeFileSync(join(pred, 's04_t1.nii.gz'), 'this is not an image')
  rawMha(join(pred, 's05_t1.mha'), 'NDims = 3\nDimSize = 8 6 4\nElementType = MET_LONG_LONG', N * 8)
  rawMha(join(pred, 's06_t1.mha'), 'NDims = 2\nDimSize = 8 6\nElementType = MET_UCHAR', 48)
  rawMha(join(pred, 's07_t1.mha'), 'NDims = 4\nDimSize = 8 6 4 2\nElementType = MET_UCHAR', N * 2)
  await writeImage({ ...mask(), size: [8, 6, 5], data: new Uint8Array(8 * 6 * 5) }, join(pred, 's08_t1.mha'))
  await writeImage(mask('uint8', { spacing: [0.6, 0.7, 3.3] }), join(pred, 's09_t1.mha'))
  const fractional = mask('float32')
  fractional.data[0] = 0.5
  await writeImage(fractional, join(pred, 's10_t1.nii.gz'))
  const negative = mask('int16')
  negative.data[0] = -4
  await writeImage(negative, join(pred, 's11_t1.nrrd'))
  await writeImage(mask(), join(pred, 'extra_t1.mha'))
}, 60_000)

describe('spider-bench score', () => {
  it('scores what it can, reports every bad prediction in one line and exits 2', async () => {
    const out = join(dir, 'result.json')
    const r = await run(['--truth', truth, '--pred', pred, '--out', out])
    expect(r.code).toBe(2)
    const doc = JSON.parse(readFileSync(out, 'utf8')) as ResultDocument
    expect(doc.series.map((s) => s.name)).toEqual(Object.keys(CASES))
    for (const [name, problem] of Object.entries(CASES)) {
      const s = doc.series.find((x) => x.name === name)!
      if (problem === null) {
        expect(s.status, name).toBe('scored')
      } else {
        expect(s.status, name).toBe('error')
        expect(s.error, name).toMatch(problem)
        // Scored as an empty prediction.
        expect(s.metrics.DiceOverall, name).toBe(0)
        expect(r.err.split('\n').filter((l) => l.startsWith(`error: ${name}: `))).toHaveLength(1)
      }
    }
    expect(doc.series[0].metrics).toMatchObject({ DiceOverall: 1, ASDOverall: 0, HD95Vertebrae: 0, FalsePositiveStructures: 0 })
    expect(doc.series[1].metrics).toMatchObject({ DiceOverall: 0, DetectionVertebrae: 0 })
    expect(doc.aggregates.DiceOverall).toMatchObject({ mean: 1 / 12, count: 12 })
    expect(r.err).toContain('warning: prediction "extra_t1" has no reference mask')
    expect(r.out).toMatch(/profile spider, 12 series, 10 failed/)
    expect(r.out).toMatch(/Vertebrae\s+Dice\s+1\.000 \(1\)/)
  })

  it('accepts missing predictions with --allow-missing (exit 0) and runs the official profile', async () => {
    const t = join(dir, 'truth-b')
    mkdirSync(t)
    await writeImage(mask(), join(t, 's01_t1.mha'))
    await writeImage(mask(), join(t, 's12_t2_SPACE.mha'))
    const out = join(dir, 'b.json')
    expect((await run(['--truth', t, '--pred', pred, '--out', out])).code).toBe(2)
    const r = await run(['--truth', t, '--pred', pred, '--out', out, '--allow-missing', '--profile', 'spider-official', '--threads', '1'])
    expect(r.code).toBe(0)
    const doc = JSON.parse(readFileSync(out, 'utf8')) as ResultDocument
    expect(doc.profile).toBe('spider-official')
    expect(doc.series.map((s) => [s.name, s.status, s.metrics.OveralDiceScore])).toEqual([
      ['s01_t1', 'scored', 1],
      ['s12_t2_SPACE', 'error', 0],
    ])
  })

  it('exits 1 with one line for an empty or missing reference folder and a corrupt reference', async () => {
    const empty = join(dir, 'empty')
    mkdirSync(empty)
    writeFileSync(join(empty, 'notes.txt'), 'not an image')
    let r = await run(['--truth', empty, '--pred', pred])
    expect(r.code).toBe(1)
    expect(r.err).toMatch(/empty: no reference masks in the folder/)
    r = await run(['--truth', join(dir, 'nope'), '--pred', pred])
    expect(r.code).toBe(1)
    expect(r.err).toMatch(/nope: cannot read the reference folder \(ENOENT\)/)
    const bad = join(dir, 'truth-bad')
    mkdirSync(bad)
    writeFileSync(
      join(bad, 's01_t1.mha'),
      'ObjectType = Image\nNDims = 3\nDimSize = 8 6 4\nElementType = MET_UCHAR\nElementDataFile = LOCAL\n',
    )
    r = await run(['--truth', bad, '--pred', pred, '--threads', '1'])
    expect(r.code).toBe(1)
    expect(r.err).toMatch(/s01_t1\.mha: truncated file/)
  })

  it('exits 1 on usage errors and prints help', async () => {
    expect((await run([])).err).toMatch(/--truth DIR is required/)
    expect((await run(['--truth', truth])).code).toBe(1)
    expect((await run(['--truth', truth, '--pred', pred, '--profile', 'nnunet'])).err).toMatch(/unknown --profile "nnunet"/)
    expect((await run(['--truth', truth, '--pred', pred, '--threads', '0'])).err).toMatch(/--threads expects a positive integer, got "0"/)
    expect((await run(['--truth', truth, '--pred', pred, '--bogus'])).code).toBe(1)
    const help = await run(['--help'])
    expect(help.code).toBe(0)
    expect(help.out).toMatch(/--allow-missing/)
  })

  it('runs as `spider-bench score` from the bin script on worker threads', async () => {
    const t = join(dir, 'truth-c')
    mkdirSync(t)
    await writeImage(mask(), join(t, 's01_t1.mha'))
    await writeImage(mask(), join(t, 's02_t2.mha'))
    const out = join(dir, 'c.json')
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [join(root, 'bin/spider-bench.js'), 'score', '--truth', t, '--pred', pred, '--threads', '2', '--out', out],
      { cwd: tmpdir() },
    )
    expect(stdout).toMatch(/profile spider, 2 series, 0 failed/)
    expect((JSON.parse(readFileSync(out, 'utf8')) as ResultDocument).series.map((s) => s.status)).toEqual(['scored', 'scored'])
  })
})
