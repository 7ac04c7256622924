import { describe, expect, it } from 'vitest'
import { distanceValues, type DistanceSet } from './distance-set.ts'
import { labelMasks } from './label-masks.ts'
import { labelStats } from './label-stats.ts'
import { surfaceDistances } from './surface-distances.ts'
import { seededRandom } from '@spider-bench/random'

type Size = [number, number, number]

// Surface voxels of (data == label) in the whole volume, by the definition (26 neighbours, outside = background).
function surfacePoints(data: Uint8Array, label: number, [nx, ny, nz]: Size): number[][] {
  const at = (x: number, y: number, z: number) =>
    x >= 0 && y >= 0 && z >= 0 && x < nx && y < ny && z < nz && data[(z * ny + y) * nx + x] === label
  const out: number[][] = []
  for (let z = 0; z < nz; z++)
    for (let y = 0; y < ny; y++)
      for (let x = 0; x < nx; x++) {
        if (!at(x, y, z)) continue
        let edge = false
        for (let c = -1; c <= 1; c++) for (let b = -1; b <= 1; b++) for (let a = -1; a <= 1; a++) if (!at(x + a, y + b, z + c)) edge = true
        if (edge) out.push([x, y, z])
      }
  return out
}

function directed(from: number[][], to: number[][], s: Size): number[] {
  return from
    .map(([x, y, z]) => Math.min(...to.map(([a, b, c]) => Math.hypot((x - a) * s[0], (y - b) * s[1], (z - c) * s[2]))))
    .sort((a, b) => a - b)
}

describe('surfaceDistances', () => {
  it('equals the full-volume definition on random label volumes with anisotropic spacing', () => {
    const random = seededRandom(31)
    for (let trial = 0; trial < 25; trial++) {
      const size: Size = [2 + Math.floor(random() * 40), 2 + Math.floor(random() * 9), 2 + Math.floor(random() * 9)]
      const spacing: Size = [0.3 + random() * 4, 0.3 + random() * 4, 0.3 + random() * 4]
      const n = size[0] * size[1] * size[2]
      // Two blobs per volume, the prediction a noisy copy of the reference.
      const truth = new Uint8Array(n)
      const cx = random() * size[0]
      const cy = random() * size[1]
      const r = 1 + random() * 5
      truth.forEach((_, i) => {
        const [x, y] = [i % size[0], Math.floor(i / size[0]) % size[1]]
        truth[i] = (x - cx) ** 2 + (y - cy) ** 2 < r * r ? 3 : random() < 0.03 ? 3 : 0
      })
      const pred = truth.map((v) => (random() < 0.15 ? (v ? 0 : 7) : v ? 7 : 0))
      if (!truth.includes(3) || !pred.includes(7)) continue
      const t = labelMasks(labelStats(truth, size)).get(3)!
      const p = labelMasks(labelStats(pred, size)).get(7)!
      const d = surfaceDistances(t, p, size, spacing)
      const ts = surfacePoints(truth, 3, size)
      const ps = surfacePoints(pred, 7, size)
      const close = (got: DistanceSet, want: number[]) => {
        const sorted = [...distanceValues(got)]
        expect(sorted.length).toBe(want.length)
        sorted.forEach((g, i) => expect(Math.abs(g - want[i])).toBeLessThanOrEqual(1e-9 * Math.max(1, want[i])))
      }
      close(d.predToTruth, directed(ps, ts, spacing))
      close(d.truthToPred, directed(ts, ps, spacing))
    }
  })
})
