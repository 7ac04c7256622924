import { describe, expect, it } from 'vitest'
import { argmaxChannels } from './argmax.ts'
import { assignLabels, type Geometry } from './assign-labels.ts'
import { connectedComponents } from './connected-components.ts'

const identity = [1, 0, 0, 0, 1, 0, 0, 0, 1]

describe('post-processing', () => {
  it('arg-max picks the largest channel, ties to the lowest', () => {
    const block = { size: [3, 1, 1] as const, channels: 2, data: Float32Array.of(1, 5, 2, 0, 5, 3) }
    expect(Array.from(argmaxChannels(block))).toEqual([0, 0, 1])
  })

  it('connected components: 6- versus 26-connectivity, sizes and centroids', () => {
    // Two voxels touching only at a corner in a 2x2x2 cube.
    const on = new Set([0, 7])
    const six = connectedComponents(
      [2, 2, 2],
      Uint8Array.from({ length: 8 }, (_, v) => (on.has(v) ? 1 : 0)),
      6,
    )
    expect(six.count).toBe(2)
    const all = connectedComponents(
      [2, 2, 2],
      Uint8Array.from({ length: 8 }, (_, v) => (on.has(v) ? 1 : 0)),
      26,
    )
    expect(all.count).toBe(1)
    expect(all.sizes).toEqual([2])
    expect(all.centroids).toEqual([[0.5, 0.5, 0.5]])
  })

  it('numbers vertebrae and discs from the bottom (patient space), canal 100, direct labels as is', () => {
    // A 1x1x9 column along z: target index per voxel (0 bg, 1 vertebra, 2 disc, 3 canal, 4 label 150).
    const idx = Int32Array.of(1, 1, 2, 1, 2, 1, 1, 3, 4)
    const targets = [
      { class: 'background' as const },
      { class: 'vertebra' as const },
      { class: 'disc' as const },
      { class: 'canal' as const },
      { label: 150 },
    ]
    const up: Geometry = { size: [1, 1, 9], spacing: [1, 1, 1], origin: [0, 0, 0], direction: identity }
    expect(Array.from(assignLabels(idx, targets, up, { connectivity: 6, minComponentVoxels: 0, superior: '+z' }))).toEqual([
      1, 1, 201, 2, 202, 3, 3, 100, 150,
    ])
    // The same array with the z axis pointing down in patient space: the numbering reverses.
    const down: Geometry = { ...up, direction: [1, 0, 0, 0, 1, 0, 0, 0, -1] }
    expect(Array.from(assignLabels(idx, targets, down, { connectivity: 6, minComponentVoxels: 0, superior: '+z' }))).toEqual([
      3, 3, 202, 2, 201, 1, 1, 100, 150,
    ])
    // ... and so it does when the config says patient -z is up.
    expect(Array.from(assignLabels(idx, targets, up, { connectivity: 6, minComponentVoxels: 0, superior: '-z' }))).toEqual([
      3, 3, 202, 2, 201, 1, 1, 100, 150,
    ])
    // A grid whose y axis points up (the synthetic generator's convention) with superior '+y'.
    const yUp: Geometry = { size: [1, 9, 1], spacing: [1, 1, 1], origin: [0, 0, 0], direction: identity }
    expect(Array.from(assignLabels(idx, targets, yUp, { connectivity: 6, minComponentVoxels: 0, superior: '+y' }))).toEqual([
      1, 1, 201, 2, 202, 3, 3, 100, 150,
    ])
  })

  it('drops components smaller than minComponentVoxels before numbering', () => {
    const idx = Int32Array.of(1, 0, 1, 1, 0, 1, 1, 1)
    const g: Geometry = { size: [8, 1, 1], spacing: [1, 1, 1], origin: [0, 0, 0], direction: [0, 0, 1, 0, 1, 0, 1, 0, 0] }
    expect(
      Array.from(assignLabels(idx, [undefined, { class: 'vertebra' }], g, { connectivity: 6, minComponentVoxels: 2, superior: '+z' })),
    ).toEqual([0, 0, 1, 1, 0, 2, 2, 2])
  })
})
