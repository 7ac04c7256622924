import { describe, expect, it } from 'vitest'
import { labelStats } from './label-stats.ts'
import { seededRandom } from '@spider-bench/random'

describe('labelStats', () => {
  it('matches a direct count and bounding box on random volumes, any alignment', () => {
    const random = seededRandom(5)
    for (let trial = 0; trial < 40; trial++) {
      const size: [number, number, number] = [1 + Math.floor(random() * 13), 1 + Math.floor(random() * 9), 1 + Math.floor(random() * 9)]
      const n = size[0] * size[1] * size[2]
      const wide = trial % 2 === 1
      // An odd byte offset (uint8) makes the word view impossible; runs and sparse labels.
      const offset = wide ? 2 * (trial % 3) : trial % 4
      const buffer = new ArrayBuffer(offset + n * (wide ? 2 : 1))
      const data = wide ? new Uint16Array(buffer, offset, n) : new Uint8Array(buffer, offset, n)
      let v = 0
      for (let i = 0; i < n; i++) {
        if (random() < 0.3) v = random() < 0.6 ? 0 : Math.floor(random() * (wide ? 1000 : 255)) + 1
        data[i] = v
      }
      const stats = labelStats(data, size)
      const want = new Map<number, number[]>()
      data.forEach((value, i) => {
        if (!value) return
        const [x, y, z] = [i % size[0], Math.floor(i / size[0]) % size[1], Math.floor(i / (size[0] * size[1]))]
        const s = want.get(value) ?? [0, x, x, y, y, z, z]
        want.set(value, [
          s[0] + 1,
          Math.min(s[1], x),
          Math.max(s[2], x),
          Math.min(s[3], y),
          Math.max(s[4], y),
          Math.min(s[5], z),
          Math.max(s[6], z),
        ])
      })
      expect(stats.labels).toEqual([...want.keys()].sort((a, b) => a - b))
      for (const [label, [count, ...box]] of want) {
        expect(stats.count[label]).toBe(count)
        expect([...stats.box.subarray(label * 6, label * 6 + 6)]).toEqual(box)
      }
    }
  })
})
