import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { encodeMha, writeMha } from './mha-write.ts'
import { readImageItk } from './read.ts'
import { PIXEL_ARRAYS, type ComponentType, type Image3D } from './types.ts'

/** A seeded image with a non-symmetric direction matrix and awkward spacing/origin values. */
function sample(type: ComponentType, seed: number): Image3D {
  const size = [5, 7, 3] as const
  const data = new PIXEL_ARRAYS[type](size[0] * size[1] * size[2])
  let s = seed
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0
    const r = (s >>> 8) / 2 ** 24
    data[i] = type.startsWith('float') ? (r - 0.5) * 1000.123 : type.startsWith('uint') ? Math.floor(r * 200) : Math.floor(r * 200) - 100
  }
  // Rotation by 90 degrees about z: direction[3r + c], column c = axis c's direction.
  const direction = [0, -1, 0, 1, 0, 0, 0, 0, 1]
  return { size, spacing: [3.3, 0.59, 0.1 + 0.2], origin: [-12.5, 178.69201617550124, 1e-7], direction, componentType: type, data }
}

describe('writeMha', () => {
  let dir = ''
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mha-write-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  for (const type of Object.keys(PIXEL_ARRAYS) as ComponentType[]) {
    for (const compress of [true, false]) {
      it(`itk-wasm reads a ${type} image back identically (compress ${compress})`, async () => {
        const image = sample(type, 7)
        const file = join(dir, `${type}-${compress}.mha`)
        await writeMha(image, file, { compress })
        const back = await readImageItk(file)
        expect(back.componentType).toBe(type)
        expect([...back.size]).toEqual([...image.size])
        expect([...back.spacing]).toEqual([...image.spacing])
        expect([...back.origin]).toEqual([...image.origin])
        expect([...back.direction]).toEqual([...image.direction])
        expect(Array.from(back.data)).toEqual(Array.from(image.data))
      })
    }
  }

  it('is deterministic and writes the documented header', async () => {
    const a = await encodeMha(sample('int16', 3))
    const b = await encodeMha(sample('int16', 3))
    expect(a.equals(b)).toBe(true)
    const header = a.subarray(0, 400).toString('latin1')
    expect(header).toContain('ElementType = MET_SHORT\n')
    expect(header).toContain('TransformMatrix = 0 1 0 -1 0 0 0 0 1\n')
    await writeMha(sample('int16', 3), join(dir, 'x.mha'))
    expect((await readFile(join(dir, 'x.mha'))).equals(a)).toBe(true)
  })

  it('refuses pixel data that does not match the size', async () => {
    const image = { ...sample('uint8', 1), data: new Uint8Array(4) }
    await expect(encodeMha(image)).rejects.toThrow(/4 pixels do not match size 5 x 7 x 3/)
  })
})
