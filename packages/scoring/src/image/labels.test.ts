import { describe, expect, it } from 'vitest'
import { labelVolume, validateLabelImage } from './labels.ts'
import type { ComponentType, Image3D, PixelArray } from './types.ts'

function img(componentType: ComponentType, data: PixelArray): Image3D {
  return { size: [2, 2, 1], spacing: [1, 1, 1], origin: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1], componentType, data }
}

describe('labelVolume', () => {
  it('uses uint8 and uint16 data as they are', () => {
    const data = new Uint16Array([0, 1, 300, 2])
    expect(labelVolume(img('uint16', data), 'f').labels).toBe(data)
  })

  it('views non-negative signed data without copying', () => {
    const data = new Int16Array([0, 1, 300, 2])
    const { labels } = labelVolume(img('int16', data), 'f')
    expect(labels).toBeInstanceOf(Uint16Array)
    expect(labels.buffer).toBe(data.buffer)
  })

  it('accepts integral float labels', () => {
    expect([...labelVolume(img('float32', new Float32Array([0, 1, 201, 100])), 'f').labels]).toEqual([0, 1, 201, 100])
  })

  it('renumbers labels above 65535 in ascending order and keeps their values', () => {
    const v = labelVolume(img('uint32', new Uint32Array([0, 70000, 5, 70000])), 'f')
    expect([...v.labels]).toEqual([0, 2, 1, 2])
    expect([...(v.values ?? [])]).toEqual([0, 5, 70000])
  })

  it('names the file, the voxel and the value of a bad label', () => {
    expect(() => validateLabelImage(img('float32', new Float32Array([0, 0, 1.5, 0])), 'p.nii.gz')).toThrow(
      'p.nii.gz: fractional label 1.5 at voxel (0, 1, 0): labels must be integers >= 0',
    )
    expect(() => validateLabelImage(img('int8', new Int8Array([0, -3, 0, 0])), 'p.mha')).toThrow(
      'p.mha: negative label -3 at voxel (1, 0, 0)',
    )
    expect(() => validateLabelImage(img('float64', new Float64Array([NaN, 0, 0, 0])), 'p.mha')).toThrow('NaN label at voxel (0, 0, 0)')
  })
})
