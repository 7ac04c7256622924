import type { Image3D } from '@spider-bench/scoring'
import { describe, expect, it } from 'vitest'
import { generateSeries } from './generate-series.ts'
import { SEQUENCES, type Sequence } from './series-grid.ts'

const labelsOf = (mask: Image3D): number[] =>
  [...new Set(mask.data)]
    .map(Number)
    .filter((v) => v > 0)
    .sort((a, b) => a - b)

/** Checks the SPIDER label scheme; returns the number of visible vertebrae. */
function expectSpiderLabels(labels: number[], where: string): number {
  const vertebrae = labels.filter((v) => v >= 1 && v <= 99)
  const partial = labels.filter((v) => v >= 101 && v <= 199)
  const discs = labels.filter((v) => v >= 201)
  const top = Math.max(...vertebrae)
  expect(labels, `${where}: spinal canal`).toContain(100)
  expect(vertebrae, `${where}: vertebrae 1..N from the bottom`).toEqual(vertebrae.map((_, i) => i + 1))
  expect(discs, `${where}: discs 201.. from the bottom`).toEqual(discs.map((_, i) => 201 + i))
  // Every complete vertebra has its disc below it (201 below vertebra 1, above the sacrum).
  expect(discs.length, `${where}: discs`).toBeGreaterThanOrEqual(vertebrae.length)
  for (const p of partial) expect(p - 100, `${where}: partial vertebra above the complete ones`).toBeGreaterThan(top)
  return vertebrae.length + partial.length
}

describe('generateSeries', () => {
  it('masks follow the SPIDER label scheme with 4 to 7 visible vertebrae, the top one often cut', () => {
    let cut = 0
    let total = 0
    const visible = new Set<number>()
    for (let study = 1; study <= 30; study++) {
      for (const sequence of SEQUENCES) {
        const { mask } = generateSeries(11, study, sequence, 'small')
        const labels = labelsOf(mask)
        const n = expectSpiderLabels(labels, `study ${study} ${sequence}`)
        expect(n).toBeGreaterThanOrEqual(4)
        expect(n).toBeLessThanOrEqual(7)
        visible.add(n)
        if (labels.some((v) => v > 100 && v < 200)) cut++
        total++
      }
    }
    expect(visible.size).toBeGreaterThanOrEqual(3) // counts vary between studies
    expect(cut / total).toBeGreaterThan(0.4)
    expect(cut / total).toBeLessThan(0.95)
  })

  it('small series are tiny; geometry and pixel types are as documented', () => {
    const t1 = generateSeries(1, 1, 't1', 'small')
    expect([...t1.image.size]).toEqual([8, 64, 64])
    expect(t1.image.componentType).toBe('int16')
    expect(t1.mask.componentType).toBe('uint8')
    expect([...t1.mask.size]).toEqual([...t1.image.size])
    expect([...t1.mask.origin]).toEqual([...t1.image.origin])
    expect([...t1.image.direction]).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1])
    expect(t1.image.origin.every((x) => x !== 0)).toBe(true)
    expect([...generateSeries(1, 1, 't2_SPACE', 'small').image.size]).toEqual([12, 64, 64])
  })

  it('realistic T1/T2 are SPIDER-like sagittal stacks, T2-SPACE near-isotropic', () => {
    for (const study of [1, 2]) {
      for (const sequence of ['t1', 't2'] as const) {
        const { image, mask } = generateSeries(5, study, sequence, 'realistic')
        const [nx, ny, nz] = image.size
        const [sx, sy, sz] = image.spacing
        expect(nx).toBeGreaterThanOrEqual(15)
        expect(nx).toBeLessThanOrEqual(20)
        expect(sx).toBeGreaterThanOrEqual(3.3)
        expect(sx).toBeLessThanOrEqual(4.8)
        expect(sy).toBe(sz)
        expect(sy).toBeGreaterThanOrEqual(0.3)
        expect(sy).toBeLessThanOrEqual(0.9)
        expect(ny).toBe(nz)
        expect(ny * sy).toBeGreaterThan(140) // field of view of a lumbar spine
        expect(ny * sy).toBeLessThan(400)
        expectSpiderLabels(labelsOf(mask), `${study} ${sequence}`)
      }
    }
    const space = generateSeries(5, 1, 't2_SPACE', 'realistic').image
    expect([...space.spacing]).toEqual([0.9, 0.47, 0.47])
    expect(space.size[0]).toBeGreaterThanOrEqual(52)
  })

  it('has sequence-specific contrast: CSF dark on T1 and bright on T2, bone the other way round', () => {
    const meanOf = (image: Image3D, mask: Image3D, pick: (label: number) => boolean): number => {
      let sum = 0
      let n = 0
      for (let i = 0; i < mask.data.length; i++) {
        if (pick(Number(mask.data[i]))) {
          sum += Number(image.data[i])
          n++
        }
      }
      return sum / n
    }
    const ratio = (sequence: Sequence): number => {
      const { image, mask } = generateSeries(3, 4, sequence, 'small')
      return meanOf(image, mask, (v) => v === 100) / meanOf(image, mask, (v) => v >= 1 && v <= 99)
    }
    expect(ratio('t1')).toBeLessThan(0.8)
    expect(ratio('t2')).toBeGreaterThan(1.2)
    expect(ratio('t2_SPACE')).toBeGreaterThan(1.2)
  })

  it('is a pure function of (seed, study, sequence, size); T1 and T2 of a study share the spine', () => {
    const a = generateSeries(9, 2, 't2', 'small')
    const b = generateSeries(9, 2, 't2', 'small')
    expect(Buffer.from(a.image.data.buffer).equals(Buffer.from(b.image.data.buffer))).toBe(true)
    expect(Buffer.from(a.mask.data.buffer).equals(Buffer.from(b.mask.data.buffer))).toBe(true)
    const other = generateSeries(10, 2, 't2', 'small')
    expect(Buffer.from(other.image.data.buffer).equals(Buffer.from(a.image.data.buffer))).toBe(false)
    expect(generateSeries(9, 2, 't1', 'small').anatomy).toEqual(a.anatomy)
  })
})
