import { describe, expect, it } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Image3D } from './image/types.ts'
import { writeImage } from './image/write.ts'
import { averageSurfaceDistance } from './metrics/asd.ts'
import { dice, isDetected } from './metrics/dice.ts'
import { hd95 } from './metrics/hd95.ts'
import { labelMasks } from './metrics/label-masks.ts'
import { labelStats } from './metrics/label-stats.ts'
import { matchLabel } from './metrics/match.ts'
import { surfaceDistances } from './metrics/surface-distances.ts'
import { seededRandom } from '@spider-bench/random'
import type { ProfileName } from './profiles/profile.ts'
import { scoreImages } from './score-images.ts'
import { scoreSeriesFiles } from './score-series-files.ts'

type Size = [number, number, number]

function image(size: Size, data: Uint8Array | Uint16Array, spacing: Size = [0.7, 0.9, 2.5]): Image3D {
  return {
    size,
    spacing,
    origin: [0, 0, 0],
    direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
    componentType: data instanceof Uint8Array ? 'uint8' : 'uint16',
    data,
  }
}

/** A reference of a few blocks (vertebrae, discs, canal values) and a noisy prediction with stray labels. */
function randomPair(random: () => number, stray: number): { size: Size; truth: Uint8Array; pred: Uint16Array } {
  const size: Size = [6 + Math.floor(random() * 30), 6 + Math.floor(random() * 12), 3 + Math.floor(random() * 6)]
  const [nx, ny, nz] = size
  const truth = new Uint8Array(nx * ny * nz)
  const values = [1, 2, 3, 100, 201, 202].slice(0, 2 + Math.floor(random() * 5))
  for (const v of values) {
    const x0 = Math.floor(random() * nx)
    const y0 = Math.floor(random() * ny)
    const z0 = Math.floor(random() * nz)
    const [x1, y1, z1] = [
      Math.min(nx, x0 + 2 + Math.floor(random() * 8)),
      Math.min(ny, y0 + 2 + Math.floor(random() * 5)),
      Math.min(nz, z0 + 1 + Math.floor(random() * 3)),
    ]
    for (let z = z0; z < z1; z++) for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) truth[(z * ny + y) * nx + x] = v
  }
  // Relabelled, eroded at random, plus `stray` labels of single voxels anywhere.
  const pred = new Uint16Array(truth.length)
  truth.forEach((v, i) => (pred[i] = v === 0 || random() < 0.2 ? 0 : v * 7 + (random() < 0.1 ? 1 : 0)))
  for (let s = 0; s < stray; s++) pred[Math.floor(random() * pred.length)] = 2000 + s
  return { size, truth, pred }
}

/** The former scorer: one mask per label of both volumes, matched mask against mask. */
function allMasksStructures(truth: Image3D, pred: Image3D, profile: ProfileName) {
  const size = truth.size
  const [sx, sy, sz] = truth.spacing
  const spacing: Size = profile === 'spider' ? [sx, sy, sz] : [sz, sy, sx]
  const tStats = labelStats(truth.data as Uint8Array, size)
  const pStats = labelStats(pred.data as Uint16Array, size)
  const tMasks = labelMasks(tStats)
  const pMasks = labelMasks(pStats)
  return tStats.labels.map((label) => {
    const m = matchLabel(tMasks.get(label)!, pMasks)
    if (m.label === 0) return { label, matchedLabel: null, dice: 0, asd: null, hd95: null }
    const score = dice(m.overlap, tStats.count[label], pStats.count[m.label])
    if (profile === 'spider' && !isDetected(score)) return { label, matchedLabel: m.label, dice: score, asd: null, hd95: null }
    const d = surfaceDistances(tMasks.get(label)!, pMasks.get(m.label)!, size, spacing)
    return { label, matchedLabel: m.label, dice: score, asd: averageSurfaceDistance(d), hd95: profile === 'spider' ? hd95(d) : null }
  })
}

describe('scoreImages under memory budgets', () => {
  it('gives identical results with tiny run and counter budgets, and equals the all-masks scorer', () => {
    const random = seededRandom(51)
    let distances = 0
    for (let trial = 0; trial < 40; trial++) {
      const { size, truth, pred } = randomPair(random, trial % 4 === 0 ? 300 : Math.floor(random() * 5))
      const t = image(size, truth)
      const p = image(size, pred)
      for (const profile of ['spider', 'spider-official'] as const) {
        const unbudgeted = scoreImages(t, p, profile, 'x_t1')
        for (const options of [{ maxRuns: 0 }, { counterBytes: 1 }, { maxRuns: 3, counterBytes: 16 }]) {
          expect(scoreImages(t, p, profile, 'x_t1', options)).toEqual(unbudgeted)
        }
        const structures = unbudgeted.structures.map(({ label, matchedLabel, dice, asd, hd95 }) => ({
          label,
          matchedLabel,
          dice,
          asd,
          hd95,
        }))
        expect(structures).toEqual(allMasksStructures(t, p, profile))
        distances += structures.filter((s) => s.asd !== null).length
      }
    }
    expect(distances).toBeGreaterThan(100)
  })

  it('scores a prediction of 13 000 two-voxel labels spanning the volume (matched and false-positive counts)', () => {
    const size: Size = [17, 40, 40]
    const n = size[0] * size[1] * size[2]
    const truth = new Uint8Array(n)
    for (let i = n / 2 - 400; i < n / 2 + 400; i++) truth[i] = 1
    const pred = new Uint16Array(n)
    for (let v = 1; v <= 13_000; v++) {
      pred[v - 1] = v
      pred[n - v] = v
    }
    for (let i = n / 2 - 300; i < n / 2 + 300; i++) pred[i] = 40_000
    const r = scoreImages(image(size, truth), image(size, pred), 'spider', 'bomb_t1')
    expect(r.structures[0]).toMatchObject({ label: 1, matchedLabel: 40_000, dice: (2 * 600) / 1400, detected: true })
    expect(r.metrics.FalsePositiveStructures).toBe(13_000)
  })
})

describe('prediction label cap', () => {
  it('refuses a prediction with more distinct labels than the cap, naming the count and the cap', () => {
    const size: Size = [8, 1, 1]
    const truth = image(size, Uint8Array.from([1, 1, 0, 0, 0, 0, 0, 0]))
    const pred = image(size, Uint8Array.from([1, 2, 3, 0, 0, 0, 0, 0]))
    expect(scoreImages(truth, pred, 'spider', 'a_t1', { maxPredictionLabels: 3 }).status).toBe('scored')
    expect(() => scoreImages(truth, pred, 'spider', 'a_t1', { maxPredictionLabels: 2 })).toThrow(
      'a_t1 (prediction): 3 distinct labels, at most 2 are accepted (SPIDER masks have fewer than 100 structures)',
    )
  })

  it('makes the series an error (scored as empty) in scoreSeriesFiles, naming the file as told', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'label-cap-'))
    try {
      const size: Size = [8, 2, 1]
      await writeImage(image(size, Uint8Array.from([1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0])), join(dir, 't.mha'))
      await writeImage(image(size, Uint8Array.from([5, 5, 5, 6, 7, 0, 0, 0, 5, 5, 0, 0, 0, 0, 0, 0])), join(dir, 'p.mha'))
      const files = { name: 'a_t1', truthPath: join(dir, 't.mha'), predPath: join(dir, 'p.mha'), profile: 'spider' as const }
      expect((await scoreSeriesFiles({ ...files, options: { maxPredictionLabels: 3 } })).structures[0].dice).toBe(1)
      const refused = await scoreSeriesFiles({ ...files, predLabel: 'a_t1.mha', options: { maxPredictionLabels: 2 } })
      expect(refused.status).toBe('error')
      expect(refused.error).toBe('a_t1.mha: 3 distinct labels, at most 2 are accepted (SPIDER masks have fewer than 100 structures)')
      expect(refused.structures[0]).toMatchObject({ matchedLabel: null, dice: 0 })
      expect((await scoreSeriesFiles({ ...files, options: { maxPredictionLabels: 2 } })).error).toBe(
        `${join(dir, 'p.mha')}: 3 distinct labels, at most 2 are accepted (SPIDER masks have fewer than 100 structures)`,
      )
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
