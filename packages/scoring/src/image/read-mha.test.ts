import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { readImageItk } from './read.ts'
import { parseMha, readMha } from './read-mha.ts'
import { COMPONENT_TYPES, ImageError, PIXEL_ARRAYS, type Image3D, type PixelArray } from './types.ts'
import { writeImage } from './write.ts'

const dir = mkdtempSync(join(tmpdir(), 'read-mha-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const fixtures = fileURLToPath(new URL('../../test/fixtures/spider-vectors/', import.meta.url))

function expectIdentical(fast: Image3D | null, itk: Image3D): void {
  expect(fast).not.toBeNull()
  const f = fast as Image3D
  expect(f.size).toEqual(itk.size)
  expect(f.spacing).toEqual(itk.spacing)
  expect(f.origin).toEqual(itk.origin)
  expect(f.direction).toEqual(itk.direction)
  expect(f.componentType).toBe(itk.componentType)
  expect(f.data.constructor).toBe(itk.data.constructor)
  expect(
    Buffer.from(f.data.buffer, f.data.byteOffset, f.data.byteLength).equals(
      Buffer.from(itk.data.buffer, itk.data.byteOffset, itk.data.byteLength),
    ),
  ).toBe(true)
}

describe('readMha returns exactly what itk-wasm returns', () => {
  const c = Math.cos(0.4)
  const s = Math.sin(0.4)
  // A non-symmetric direction (rotation about y) tells a transposed matrix apart.
  const direction = [c, 0, s, 0, 1, 0, -s, 0, c]
  for (const componentType of COMPONENT_TYPES) {
    for (const compress of [true, false]) {
      it(`${componentType}, ${compress ? 'compressed' : 'raw'}`, async () => {
        const size: [number, number, number] = [5, 4, 3]
        const data = new PIXEL_ARRAYS[componentType](60).map((_, i) => (i * 7) % 23) as PixelArray
        if (componentType.startsWith('int') || componentType.startsWith('float')) data[3] = -2
        const file = join(dir, `${componentType}-${compress}.mha`)
        await writeImage(
          { size, spacing: [0.47, 3.3, 0.9], origin: [-12.5, 3.14159265358979, 1e-7], direction, componentType, data },
          file,
          { compress },
        )
        expectIdentical(await readMha(file), await readImageItk(file))
      })
    }
  }

  for (const name of ['truth/p4_t2.mha', 'truth/p3_t1.mha', 'pred/p2_t2_SPACE.mha', 'truth/p5_t2.mha']) {
    it(`fixture ${name}`, async () => {
      expectIdentical(await readMha(fixtures + name), await readImageItk(fixtures + name))
    })
  }
})

describe('readMha errors and fallbacks', () => {
  const source = readFileSync(`${fixtures}truth/p1_t1.mha`)
  const headerEnd = source.indexOf('ElementDataFile = LOCAL\n') + 'ElementDataFile = LOCAL\n'.length

  it('reports truncated and corrupt compressed data with the file name', () => {
    expect(() => parseMha(source.subarray(0, headerEnd + 100), 'cut.mha')).toThrow(/^cut\.mha: truncated file/)
    const corrupt = Buffer.from(source)
    corrupt.fill(0x55, headerEnd + 10, headerEnd + 60)
    expect(() => parseMha(corrupt, 'bad.mha')).toThrow(ImageError)
    expect(() => parseMha(corrupt, 'bad.mha')).toThrow(/^bad\.mha: corrupt compressed data/)
    const raw = readFileSync(`${fixtures}truth/p3_t1.mha`)
    expect(() => parseMha(raw.subarray(0, raw.length - 1), 'raw.mha')).toThrow(
      /^raw\.mha: truncated file: pixel data needs 225280 bytes, the file holds 225279/,
    )
  })

  it('leaves big-endian data, external data files and 2D images to itk-wasm', () => {
    const header = source.subarray(0, headerEnd).toString('latin1')
    expect(parseMha(Buffer.from(header.replace('BinaryDataByteOrderMSB = False', 'BinaryDataByteOrderMSB = True')), 'x.mha')).toBeNull()
    expect(parseMha(Buffer.from(header.replace('ElementDataFile = LOCAL', 'ElementDataFile = x.raw')), 'x.mha')).toBeNull()
    expect(parseMha(Buffer.from(header.replace('NDims = 3', 'NDims = 2')), 'x.mha')).toBeNull()
    expect(parseMha(Buffer.from(header.replace('MET_UCHAR', 'MET_LONG_LONG')), 'x.mha')).toBeNull()
  })

  it('rejects a missing file with its name', async () => {
    await expect(readMha(join(dir, 'nope.mha'))).rejects.toThrow(/nope\.mha: cannot read file \(ENOENT\)/)
  })
})

describe('writeImage', () => {
  it('round-trips other formats through itk-wasm', async () => {
    const image: Image3D = {
      size: [3, 2, 2],
      spacing: [0.5, 0.6, 3],
      origin: [1, 2, 3],
      direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
      componentType: 'uint8',
      data: new Uint8Array(12).map((_, i) => i),
    }
    for (const ext of ['.nii.gz', '.nrrd']) {
      const file = join(dir, `rt${ext}`)
      await writeImage(image, file)
      const back = await readImageItk(file)
      expect(back.size).toEqual(image.size)
      expect([...back.data]).toEqual([...image.data])
      expect(back.spacing.map((v) => Number(v.toFixed(6)))).toEqual([...image.spacing])
    }
  })
})
