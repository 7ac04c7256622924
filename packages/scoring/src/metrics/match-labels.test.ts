import { describe, expect, it } from 'vitest'
import { bitMaskToBytes } from './bit-mask.ts'
import { indexLabels, labelMask, labelMasks } from './label-masks.ts'
import { labelStats } from './label-stats.ts'
import { matchLabel, matchLabels } from './match.ts'
import { seededRandom } from '@spider-bench/random'

type Size = [number, number, number]

/** Runs of random labels, many of them (up to `labels`), with background in between. */
function randomVolume(random: () => number, size: Size, labels: number, wide: boolean): Uint8Array | Uint16Array {
  const n = size[0] * size[1] * size[2]
  const data = wide ? new Uint16Array(n) : new Uint8Array(n)
  let v = 0
  for (let i = 0; i < n; i++) {
    if (random() < 0.3) v = random() < 0.4 ? 0 : 1 + Math.floor(random() * labels)
    data[i] = v
  }
  return data
}

function randomSize(random: () => number): Size {
  return [1 + Math.floor(random() * 70), 1 + Math.floor(random() * 7), 1 + Math.floor(random() * 7)]
}

describe('labelMask under a run budget', () => {
  it('builds the same mask from the voxels as from the runs', () => {
    const random = seededRandom(41)
    for (let trial = 0; trial < 30; trial++) {
      const size = randomSize(random)
      const data = randomVolume(random, size, 40, trial % 2 === 0)
      const withRuns = indexLabels(data, size, labelStats(data, size))
      const noRuns = indexLabels(data, size, labelStats(data, size, trial % 3))
      expect(withRuns.runsByLabel).not.toBeNull()
      if ((withRuns.stats.runs as Int32Array).length / 5 > trial % 3) expect(noRuns.stats.runs).toBeNull()
      for (const label of withRuns.stats.labels) {
        const a = labelMask(withRuns, label)
        const b = labelMask(noRuns, label)
        expect(b.box).toEqual(a.box)
        expect(bitMaskToBytes(b.mask)).toEqual(bitMaskToBytes(a.mask))
      }
    }
  })

  it('stops recording runs past the budget but keeps counts and boxes', () => {
    const data = Uint8Array.from([1, 0, 2, 2, 0, 3, 0, 1])
    const size: Size = [8, 1, 1]
    const full = labelStats(data, size)
    expect(full.runs?.length).toBe(4 * 5)
    expect(labelStats(data, size, 4).runs).toEqual(full.runs)
    const over = labelStats(data, size, 3)
    expect(over.runs).toBeNull()
    expect([over.labels, over.count, over.box]).toEqual([full.labels, full.count, full.box])
    expect(() => labelStats(data, size, -1)).toThrow('maxRuns must be a whole number >= 0, got -1')
  })
})

describe('matchLabels', () => {
  it('equals matchLabel on every label mask, with runs or voxels and any counter budget', () => {
    const random = seededRandom(42)
    for (let trial = 0; trial < 40; trial++) {
      const size = randomSize(random)
      const truth = randomVolume(random, size, 1 + Math.floor(random() * 12), trial % 4 === 1)
      // Many prediction labels (up to 600) in some trials: several passes of a small table.
      const pred = randomVolume(random, size, trial % 3 === 0 ? 600 : 8, trial % 2 === 0)
      const tStats = labelStats(truth, size)
      const pStats = labelStats(pred, size)
      const predMasks = labelMasks(pStats)
      const want = tStats.labels.map((label) => matchLabel(labelMasks(tStats).get(label)!, predMasks))
      for (const [tRuns, pRuns, counterBytes] of [
        [undefined, undefined, undefined],
        [0, undefined, 4],
        [undefined, 0, 64],
        [2, 5, 1],
      ] as const) {
        const t = indexLabels(truth, size, labelStats(truth, size, tRuns))
        const p = indexLabels(pred, size, labelStats(pred, size, pRuns))
        expect(matchLabels(t, p, counterBytes)).toEqual(want)
      }
    }
  })

  it('matches nothing against an empty prediction', () => {
    const size: Size = [4, 1, 1]
    const truth = Uint8Array.from([1, 1, 0, 2])
    const t = indexLabels(truth, size, labelStats(truth, size))
    const empty = new Uint8Array(4)
    expect(matchLabels(t, indexLabels(empty, size, labelStats(empty, size)))).toEqual([
      { label: 0, overlap: 0 },
      { label: 0, overlap: 0 },
    ])
  })
})
