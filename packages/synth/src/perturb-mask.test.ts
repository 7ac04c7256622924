import { scoreImages, type Image3D, type SeriesResult } from '@spider-bench/scoring'
import { describe, expect, it } from 'vitest'
import { generateSeries } from './generate-series.ts'
import { perturbMask } from './perturb-mask.ts'

const labelsOf = (mask: Image3D): number[] =>
  [...new Set(mask.data)]
    .map(Number)
    .filter((v) => v > 0)
    .sort((a, b) => a - b)
function count(mask: Image3D, label: number): number {
  let n = 0
  for (let i = 0; i < mask.data.length; i++) if (mask.data[i] === label) n++
  return n
}

/** A hand-built 6 x 6 x 1 mask: vertebra 1 (2 x 2 block), disc 201 next to it. */
function tiny(): Image3D {
  const data = new Uint8Array(36)
  for (const [i, j] of [
    [1, 1],
    [2, 1],
    [1, 2],
    [2, 2],
  ])
    data[i + 6 * j] = 1
  data[3 + 6 * 1] = 201
  return { size: [6, 6, 1], spacing: [1, 1, 1], origin: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1], componentType: 'uint8', data }
}

describe('perturbMask on hand-built masks', () => {
  it('dilate:1 grows each structure by one 6-connected layer into the background only', () => {
    const out = perturbMask(tiny(), 'dilate:1', 1)
    // Vertebra: 4 voxels + its 7 background face neighbours; voxel (3, 2) touches both
    // structures and goes to the first in neighbour order (-x: the vertebra).
    expect(count(out, 1)).toBe(4 + 7)
    expect(out.data[3 + 6 * 2]).toBe(1)
    expect(out.data[3 + 6 * 1]).toBe(201)
    expect(count(out, 201)).toBe(1 + 2)
  })

  it('erode:1 removes voxels that touch another value', () => {
    const data = new Uint8Array(125)
    for (let k = 1; k < 4; k++) for (let j = 1; j < 4; j++) for (let i = 1; i < 4; i++) data[i + 5 * (j + 5 * k)] = 7
    const out = perturbMask({ ...tiny(), size: [5, 5, 5], data }, 'erode:1', 1)
    expect(labelsOf(out)).toEqual([7])
    expect(count(out, 7)).toBe(1) // only the centre of the 3 x 3 x 3 cube survives
    expect(out.data[2 + 5 * (2 + 5 * 2)]).toBe(7)
  })

  it('shift:K moves the mask along y; voxels leaving the image are lost', () => {
    const out = perturbMask(tiny(), 'shift:2', 1)
    expect(out.data[1 + 6 * 3]).toBe(1)
    expect(out.data[1 + 6 * 1]).toBe(0)
    expect(count(out, 1)).toBe(4)
    expect(count(perturbMask(tiny(), 'shift:-2', 1), 1)).toBe(2)
  })

  it('relabel keeps the partition and changes the values', () => {
    const src = tiny()
    const out = perturbMask(src, 'relabel', 3)
    const map = new Map<number, number>()
    for (let i = 0; i < src.data.length; i++) {
      const a = Number(src.data[i])
      const b = Number(out.data[i])
      if (map.has(a)) expect(map.get(a)).toBe(b)
      map.set(a, b)
    }
    expect(map.get(0)).toBe(0)
    expect(new Set(map.values()).size).toBe(map.size)
    expect([map.get(1), map.get(201)]).not.toEqual([1, 201])
  })

  it('fp:N adds N new labels on background voxels only, keeping every structure', () => {
    const src = generateSeries(2, 1, 't1', 'small').mask
    const out = perturbMask(src, 'fp:3', 5)
    const fresh = labelsOf(out).filter((v) => !labelsOf(src).includes(v))
    expect(fresh).toHaveLength(3)
    for (let i = 0; i < src.data.length; i++) if (src.data[i] !== 0) expect(out.data[i]).toBe(src.data[i])
  })

  it('noise:1 flips every boundary voxel to a differing neighbour value', () => {
    const out = perturbMask(tiny(), 'noise:1', 2)
    // The disc voxel's neighbours are vertebra and background: it never keeps 201.
    expect(out.data[3 + 6 * 1]).not.toBe(201)
  })

  it('is deterministic per seed and keeps the geometry', () => {
    const { mask } = generateSeries(2, 1, 't1', 'small')
    const a = perturbMask(mask, 'noise:0.3,fp:2,relabel', 42)
    const b = perturbMask(mask, 'noise:0.3,fp:2,relabel', 42)
    const c = perturbMask(mask, 'noise:0.3,fp:2,relabel', 43)
    expect(Buffer.from(a.data.buffer).equals(Buffer.from(b.data.buffer))).toBe(true)
    expect(Buffer.from(a.data.buffer).equals(Buffer.from(c.data.buffer))).toBe(false)
    expect([a.size, a.spacing, a.origin, a.direction]).toEqual([mask.size, mask.spacing, mask.origin, mask.direction])
  })

  it('explains operations the mask cannot support', () => {
    const onlyDisc: Image3D = { ...tiny(), data: tiny().data.map((v) => (v === 1 ? 0 : v)) }
    expect(() => perturbMask(onlyDisc, 'drop:vertebra', 1)).toThrow(/drop:vertebra: the mask has no vertebra label/)
    expect(() => perturbMask(tiny(), 'merge', 1)).toThrow(/no two neighbouring vertebrae/)
    expect(() => perturbMask(tiny(), 'drop:canal', 1)).toThrow(/no canal label/)
    expect(() => perturbMask(tiny(), 'dilate:x', 1)).toThrow(/dilate needs an integer argument/)
  })
})

describe.each([
  [21, 3, 't2'],
  [4, 1, 't1'],
  [8, 2, 't2_SPACE'],
] as const)('perturbMask effects measured with the scorer (profile spider), seed %i study %i %s', (seed, study, sequence) => {
  const { mask } = generateSeries(seed, study, sequence, 'small')
  const reference = labelsOf(mask)
  const vertebrae = reference.filter((v) => v < 100).length
  const discs = reference.filter((v) => v > 200).length
  const score = (spec: string, specSeed = 1): SeriesResult =>
    scoreImages(mask, perturbMask(mask, spec, specSeed), 'spider', `${study}_${sequence}`)
  const m = (r: SeriesResult, key: string): number | null => r.metrics[key]

  it('the reference itself is perfect', () => {
    expect(vertebrae).toBeGreaterThanOrEqual(3)
    expect(discs).toBeGreaterThanOrEqual(4)
    for (const spec of ['identity', 'relabel']) {
      const r = score(spec)
      expect(m(r, 'DiceOverall')).toBe(1)
      expect(m(r, 'DetectionVertebrae')).toBe(1)
      expect(m(r, 'FalsePositiveStructures')).toBe(0)
    }
  })

  it('dilate:1 lowers Dice below 1 and keeps detection at 100 %', () => {
    const r = score('dilate:1')
    expect(m(r, 'DiceVertebrae')!).toBeLessThan(1)
    expect(m(r, 'DiceDiscs')!).toBeLessThan(1)
    expect(m(r, 'DiceVertebrae')!).toBeGreaterThan(0.5)
    for (const key of ['DetectionVertebrae', 'DetectionDiscs', 'DetectionSpinalCanal']) expect(m(r, key)).toBe(1)
    expect(m(r, 'FalsePositiveStructures')).toBe(0)
  })

  it('erode:1 lowers Dice and never adds structures', () => {
    const r = score('erode:1')
    expect(m(r, 'DiceOverall')!).toBeLessThan(1)
    expect(m(r, 'FalsePositiveStructures')).toBe(0)
  })

  it('shift:1 moves every structure: Dice below 1, surface distances above 0', () => {
    const r = score('shift:1')
    expect(m(r, 'DiceOverall')!).toBeLessThan(1)
    expect(m(r, 'ASDVertebrae')!).toBeGreaterThan(0)
  })

  it('drop:disc misses exactly one disc, drop:vertebra one vertebra, drop:canal the canal', () => {
    const d = score('drop:disc')
    expect(m(d, 'DetectionDiscs')).toBeCloseTo((discs - 1) / discs, 12)
    expect(d.structures.filter((s) => !s.detected).map((s) => s.class)).toEqual(['disc'])
    const v = score('drop:vertebra')
    expect(m(v, 'DetectionVertebrae')).toBeCloseTo((vertebrae - 1) / vertebrae, 12)
    expect(v.structures.filter((s) => !s.detected).map((s) => s.class)).toEqual(['vertebra'])
    const c = score('drop:canal')
    expect(m(c, 'DetectionSpinalCanal')).toBe(0)
    expect(c.structures.filter((s) => !s.detected).map((s) => s.label)).toEqual([100])
  })

  it('merge gives two neighbouring vertebrae one label: both still detected, Dice lower', () => {
    const r = score('merge')
    const verts = r.structures.filter((s) => s.class === 'vertebra')
    const matched = verts.map((s) => s.matchedLabel)
    expect(new Set(matched).size).toBe(verts.length - 1)
    expect(m(r, 'DetectionVertebrae')).toBe(1)
    expect(m(r, 'DiceVertebrae')!).toBeLessThan(1)
    expect(m(r, 'FalsePositiveStructures')).toBe(0)
  })

  it('split cuts one vertebra in two labels: one false positive, that vertebra under Dice 1', () => {
    const r = score('split')
    expect(m(r, 'FalsePositiveStructures')).toBe(1)
    expect(r.structures.filter((s) => s.dice < 1).map((s) => s.class)).toEqual(['vertebra'])
    expect(m(r, 'DetectionVertebrae')).toBe(1)
  })

  it('fp:3 adds exactly three false-positive structures and leaves Dice at 1', () => {
    const r = score('fp:3')
    expect(m(r, 'FalsePositiveStructures')).toBe(3)
    expect(m(r, 'DiceOverall')).toBe(1)
  })

  it('noise:0.2 roughens boundaries: Dice below 1 but every structure detected', () => {
    const r = score('noise:0.2')
    expect(m(r, 'DiceOverall')!).toBeLessThan(1)
    expect(m(r, 'DiceOverall')!).toBeGreaterThan(0.6)
    expect(r.structures.every((s) => s.detected)).toBe(true)
  })
})
