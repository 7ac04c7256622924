import { describe, expect, it } from 'vitest'
import type { Image3D } from './image/types.ts'
import { scoreImages } from './score-images.ts'

type Size = [number, number, number]

function image(
  size: Size,
  spacing: Size,
  voxels: Array<[number, number, number, number]>,
  componentType: 'uint8' | 'uint16' = 'uint8',
): Image3D {
  const data = componentType === 'uint8' ? new Uint8Array(size[0] * size[1] * size[2]) : new Uint16Array(size[0] * size[1] * size[2])
  for (const [x, y, z, v] of voxels) data[(z * size[1] + y) * size[0] + x] = v
  return { size, spacing, origin: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1], componentType, data }
}

/** Voxels of label v at x in [from, to] on a line along `axis`. */
function line(axis: 0 | 1 | 2, from: number, to: number, v: number): Array<[number, number, number, number]> {
  const out: Array<[number, number, number, number]> = []
  for (let i = from; i <= to; i++) out.push([axis === 0 ? i : 0, axis === 1 ? i : 0, axis === 2 ? i : 0, v])
  return out
}

const ISO: Size = [1, 1, 1]

describe('scoreImages: matching', () => {
  it('matches the most frequent prediction value; a tie goes to the smallest', () => {
    const truth = image([8, 1, 1], ISO, line(0, 0, 3, 1))
    const pred = image([8, 1, 1], ISO, [
      [0, 0, 0, 9],
      [1, 0, 0, 9],
      [2, 0, 0, 4],
      [3, 0, 0, 4],
    ])
    const s = scoreImages(truth, pred, 'spider', 'tie_t1').structures[0]
    expect(s.matchedLabel).toBe(4)
    expect(s.dice).toBe((2 * 2) / (4 + 2))
  })

  it('lets one prediction label match several reference labels (many-to-one)', () => {
    const truth = image([8, 1, 1], ISO, [...line(0, 0, 1, 1), ...line(0, 2, 3, 2)])
    const pred = image([8, 1, 1], ISO, line(0, 0, 3, 7))
    const r = scoreImages(truth, pred, 'spider', 'merge_t1')
    expect(r.structures.map((s) => [s.matchedLabel, s.dice])).toEqual([
      [7, (2 * 2) / 6],
      [7, (2 * 2) / 6],
    ])
    expect(r.metrics.FalsePositiveStructures).toBe(0)
  })

  it('reports unmatched reference labels and unmatched prediction labels', () => {
    const truth = image([10, 1, 1], ISO, [...line(0, 0, 1, 1), ...line(0, 4, 5, 2)])
    const pred = image([10, 1, 1], ISO, [...line(0, 0, 1, 3), ...line(0, 8, 9, 5), [6, 0, 0, 6]])
    const r = scoreImages(truth, pred, 'spider', 'x_t2')
    expect(r.structures[1]).toEqual({ label: 2, class: 'vertebra', matchedLabel: null, dice: 0, asd: null, hd95: null, detected: false })
    expect(r.metrics.DetectionVertebrae).toBe(0.5)
    expect(r.metrics.DiceVertebrae).toBe(1)
    expect(r.metrics.DiceOverall).toBe(0.5)
    expect(r.metrics.FalsePositiveStructures).toBe(2)
    const official = scoreImages(truth, pred, 'spider-official', 'x_t2').metrics
    expect(official.ASDVertebrae).toBeNull() // NaN: one vertebra unmatched
    expect(official.OveralASD).toBeNull()
    expect(official.DetectionRateVertebrae).toBe(0.5)
  })
})

describe('scoreImages: detection threshold', () => {
  it('detects a Dice of exactly 0.1 and misses 2/21', () => {
    // Reference 10 voxels, prediction 10 voxels, overlap 1: Dice = 2/20 = 0.1.
    const truth = image([30, 1, 1], ISO, line(0, 0, 9, 1))
    const pred = image([30, 1, 1], ISO, line(0, 9, 18, 2))
    const hit = scoreImages(truth, pred, 'spider', 'a_t1').structures[0]
    expect(hit.dice).toBe(0.1)
    expect(hit.detected).toBe(true)
    const truth11 = image([30, 1, 1], ISO, line(0, 0, 10, 1))
    const pred11 = image([30, 1, 1], ISO, line(0, 10, 19, 2))
    const miss = scoreImages(truth11, pred11, 'spider', 'a_t1')
    expect(miss.structures[0].dice).toBe(2 / 21)
    expect(miss.structures[0].detected).toBe(false)
    expect(miss.structures[0].asd).toBeNull() // spider: distances of detected structures only
    expect(miss.metrics.DiceVertebrae).toBeNull()
    // The official scorer still computes the ASD of a matched but missed structure.
    expect(scoreImages(truth11, pred11, 'spider-official', 'a_t1').metrics.ASDVertebrae).not.toBeNull()
  })
})

describe('scoreImages: distances', () => {
  // Reference x = 1..3, prediction x = 2..4 on a one-voxel-thick line: every voxel is a
  // surface voxel (the volume's outside is background). Directed distances: pred -> ref
  // [0, 0, s], ref -> pred [s, 0, 0]; ASD = 2s/6; HD95 = 95th percentile of [0, 0, s] =
  // 0.9 s (rank 1.9, interpolated).
  const spacing: Size = [0.5, 2, 3]
  for (const axis of [0, 1, 2] as const) {
    const size: Size = [1, 1, 1]
    size[axis] = 6
    const truth = image(size, spacing, line(axis, 1, 3, 1))
    const pred = image(size, spacing, line(axis, 2, 4, 1))
    it(`scales axis ${'xyz'[axis]} by its own spacing (spider) and by the reversed spacing (official)`, () => {
      const s = spacing[axis]
      const r = scoreImages(truth, pred, 'spider', 'a_t1')
      expect(r.structures[0].dice).toBeCloseTo(4 / 6, 15)
      expect(r.structures[0].asd).toBeCloseTo((2 * s) / 6, 12)
      expect(r.structures[0].hd95).toBeCloseTo(0.9 * s, 12)
      // Official quirk: array axis x gets sz, z gets sx.
      const quirk = spacing[2 - axis]
      expect(scoreImages(truth, pred, 'spider-official', 'a_t1').structures[0].asd).toBeCloseTo((2 * quirk) / 6, 12)
    })
  }

  it('measures surfaces that touch the image boundary', () => {
    // A 3x3x3 reference filling the whole volume against a prediction missing the x = 2 plane.
    const all: Array<[number, number, number, number]> = []
    const part: Array<[number, number, number, number]> = []
    for (let z = 0; z < 3; z++)
      for (let y = 0; y < 3; y++)
        for (let x = 0; x < 3; x++) {
          all.push([x, y, z, 1])
          if (x < 2) part.push([x, y, z, 1])
        }
    const r = scoreImages(image([3, 3, 3], ISO, all), image([3, 3, 3], ISO, part), 'spider', 'b_t1').structures[0]
    // Reference surface: 26 voxels (all but the centre); prediction surface: all 18 voxels of
    // the 3x3x2 block. ref -> pred: the 9 voxels at x = 2 are 1 away, the other 17 lie on the
    // prediction surface (0). pred -> ref: (1,1,1) is not a reference surface voxel (1 away),
    // the other 17 are (0). Pooled: (9 + 1) / (26 + 18).
    expect(r.dice).toBe((2 * 18) / (27 + 18))
    expect(r.asd).toBeCloseTo(10 / 44, 12)
  })
})

describe('scoreImages: profiles', () => {
  it('writes the 999 sentinels without a spinal canal (official) and nulls (spider)', () => {
    const truth = image([6, 1, 1], ISO, line(0, 0, 2, 1))
    const pred = image([6, 1, 1], ISO, line(0, 0, 2, 1))
    const official = scoreImages(truth, pred, 'spider-official', 'c_t2').metrics
    expect(official.DiceScoreSpinalCanal).toBe(999)
    expect(official.ASDSpinalCanal).toBe(999)
    expect(official.DetectionRateDiscs).toBeNull() // the official code divides by zero here
    expect(official.DiceScoreDiscs).toBeNull()
    const spider = scoreImages(truth, pred, 'spider', 'c_t2').metrics
    expect(spider.DiceSpinalCanal).toBeNull()
    expect(spider.DetectionSpinalCanal).toBeNull()
    expect(spider.DetectionDiscs).toBeNull()
  })

  it('scores an empty prediction and an all-zero prediction alike: every structure missed', () => {
    const truth = image([12, 1, 1], ISO, [...line(0, 0, 1, 1), ...line(0, 3, 4, 100), ...line(0, 6, 7, 201), ...line(0, 9, 10, 102)])
    const zero = image([12, 1, 1], ISO, [])
    for (const pred of [null, zero]) {
      const r = scoreImages(truth, pred, 'spider', 's_t2_SPACE')
      expect(r.sequence).toBe('t2_SPACE')
      expect(r.structures.map((s) => s.class)).toEqual(['vertebra', 'canal', 'other', 'disc'])
      expect(r.metrics).toMatchObject({
        DiceOverall: 0,
        DetectionVertebrae: 0,
        DetectionSpinalCanal: 0,
        DiceSpinalCanal: 0,
        ASDOverall: null,
        FalsePositiveStructures: 0,
      })
      const o = scoreImages(truth, pred, 'spider-official', 's_t2_SPACE').metrics
      expect(o).toMatchObject({
        OveralDiceScore: 0,
        DiceScoreSpinalCanal: 0,
        ASDSpinalCanal: null,
        DiceScoreVertebrae: null,
        OveralASD: null,
      })
    }
  })

  it('counts "other" labels (101-200) only in the overall metrics', () => {
    const truth = image([8, 1, 1], ISO, [...line(0, 0, 1, 1), ...line(0, 4, 5, 150)])
    const pred = image([8, 1, 1], ISO, line(0, 0, 1, 1))
    const r = scoreImages(truth, pred, 'spider', 'o_t1').metrics
    expect(r.DiceVertebrae).toBe(1)
    expect(r.DiceOverall).toBe(0.5)
  })

  it('rejects a prediction whose geometry differs, naming the field', () => {
    const truth = image([4, 1, 1], ISO, line(0, 0, 1, 1))
    const shifted = { ...image([4, 1, 1], ISO, line(0, 0, 1, 1)), origin: [0, 0, 5] as const }
    expect(() => scoreImages(truth, shifted, 'spider', 'g_t1')).toThrow(/origin \[0, 0, 5\] differs from the reference origin \[0, 0, 0\]/)
    expect(scoreImages(truth, shifted, 'spider-official', 'g_t1').structures[0].dice).toBe(1)
    expect(() => scoreImages(truth, image([5, 1, 1], ISO, []), 'spider-official', 'g_t1')).toThrow(
      /size 5x1x1 differs from the reference size 4x1x1/,
    )
  })
})

describe('scoreImages: reference checks', () => {
  it('rejects a reference with a spacing that is not positive', () => {
    const truth = { ...image([4, 1, 1], ISO, line(0, 0, 1, 1)), spacing: [1, 0, 1] as const }
    expect(() => scoreImages(truth, null, 'spider', 'z_t1')).toThrow('z_t1 (reference): spacing [1, 0, 1] must be positive')
  })
})
