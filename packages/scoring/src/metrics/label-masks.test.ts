import { describe, expect, it } from 'vitest'
import { bitMaskToBytes } from './bit-mask.ts'
import { labelMasks } from './label-masks.ts'
import { labelStats } from './label-stats.ts'
import { matchLabel, overlap } from './match.ts'
import { seededRandom } from '@spider-bench/random'

function randomVolume(random: () => number, size: [number, number, number], labels: number): Uint8Array {
  const data = new Uint8Array(size[0] * size[1] * size[2])
  let v = 0
  for (let i = 0; i < data.length; i++) {
    if (random() < 0.25) v = random() < 0.5 ? 0 : 1 + Math.floor(random() * labels)
    data[i] = v
  }
  return data
}

describe('labelMasks', () => {
  it('holds exactly the voxels of each label over its bounding box', () => {
    const random = seededRandom(21)
    for (let trial = 0; trial < 30; trial++) {
      const size: [number, number, number] = [1 + Math.floor(random() * 75), 1 + Math.floor(random() * 6), 1 + Math.floor(random() * 6)]
      const data = randomVolume(random, size, 6)
      const masks = labelMasks(labelStats(data, size))
      for (const [label, { box, mask }] of masks) {
        const bytes = bitMaskToBytes(mask)
        const [mx, my] = mask.size
        data.forEach((v, i) => {
          const [x, y, z] = [i % size[0], Math.floor(i / size[0]) % size[1], Math.floor(i / (size[0] * size[1]))]
          const inside = x >= box[0] && x <= box[1] && y >= box[2] && y <= box[3] && z >= box[4] && z <= box[5]
          if (!inside) expect(v).not.toBe(label)
          else expect(bytes[((z - box[4]) * my + (y - box[2])) * mx + (x - box[0])]).toBe(v === label ? 1 : 0)
        })
      }
    }
  })
})

describe('matching on label masks', () => {
  it('counts overlaps exactly and picks the largest, ties to the smallest label', () => {
    const random = seededRandom(22)
    for (let trial = 0; trial < 30; trial++) {
      const size: [number, number, number] = [1 + Math.floor(random() * 70), 1 + Math.floor(random() * 6), 1 + Math.floor(random() * 6)]
      const truth = randomVolume(random, size, 4)
      const pred = randomVolume(random, size, 5)
      const tm = labelMasks(labelStats(truth, size))
      const pm = labelMasks(labelStats(pred, size))
      for (const [label, mask] of tm) {
        const counts = new Map<number, number>()
        truth.forEach((v, i) => {
          if (v === label && pred[i] !== 0) counts.set(pred[i], (counts.get(pred[i]) ?? 0) + 1)
        })
        for (const [p, m] of pm) expect(overlap(mask, m)).toBe(counts.get(p) ?? 0)
        const best = [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0] ?? [0, 0]
        expect(matchLabel(mask, pm)).toEqual({ label: best[0], overlap: best[1] })
      }
    }
  })
})
