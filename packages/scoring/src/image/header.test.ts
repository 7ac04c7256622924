import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { deflateSync, gzipSync } from 'node:zlib'
import { afterAll, describe, expect, it } from 'vitest'
import { checkImageHeader } from './check-header.ts'
import { readImage } from './read.ts'
import { readImageHeader } from './read-header.ts'
import { COMPONENT_TYPES, ImageError, PIXEL_ARRAYS, type ComponentType, type Image3D, type PixelArray } from './types.ts'
import { writeImage } from './write.ts'

const dir = mkdtempSync(join(tmpdir(), 'header-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** What itk-wasm reports without reading pixels (informationOnly), in the header's terms. */
async function itkInfo(file: string) {
  const { readImageNode } = await import('@itk-wasm/image-io')
  const info = await readImageNode(file, { informationOnly: true })
  return {
    dimension: info.imageType.dimension,
    components: info.imageType.components,
    componentType: info.imageType.componentType,
    size: [...info.size],
    spacing: [...info.spacing],
  }
}

async function headerInfo(file: string) {
  const h = await readImageHeader(file)
  // A type the project does not read is null; its name is then ITK's (NIfTI: int64, ...).
  return {
    dimension: h.dimension,
    components: h.components,
    componentType: h.componentType ?? h.pixelType,
    size: [...h.size],
    spacing: [...h.spacing],
  }
}

function image(componentType: ComponentType, size: [number, number, number] = [5, 4, 3]): Image3D {
  const n = size[0] * size[1] * size[2]
  const data = new PIXEL_ARRAYS[componentType](n).map((_, i) => i % 100) as PixelArray
  return { size, spacing: [0.5, 0.75, 3], origin: [1, 2, 3], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1], componentType, data }
}

/** A NIfTI-1 (or, with `version` 2, NIfTI-2) file built field by field, with no qform/sform. */
function nifti(options: {
  dims: number[]
  datatype: number
  bytes: number
  pixdim?: number[]
  bigEndian?: boolean
  version?: 1 | 2
  intent?: number
  slope?: number
  headerOnly?: boolean
}): Buffer {
  const { dims, datatype, bytes, bigEndian = false, version = 1 } = options
  const pixdim = options.pixdim ?? dims.map(() => 1)
  const voxels = dims.reduce((a, b) => a * b, 1)
  const headerBytes = version === 1 ? 348 : 540
  const h = Buffer.alloc(headerBytes + 4)
  const w = {
    i16: (v: number, o: number) => (bigEndian ? h.writeInt16BE(v, o) : h.writeInt16LE(v, o)),
    i32: (v: number, o: number) => (bigEndian ? h.writeInt32BE(v, o) : h.writeInt32LE(v, o)),
    f32: (v: number, o: number) => (bigEndian ? h.writeFloatBE(v, o) : h.writeFloatLE(v, o)),
    f64: (v: number, o: number) => (bigEndian ? h.writeDoubleBE(v, o) : h.writeDoubleLE(v, o)),
    i64: (v: number, o: number) => (bigEndian ? h.writeBigInt64BE(BigInt(v), o) : h.writeBigInt64LE(BigInt(v), o)),
  }
  const dim = [dims.length, ...dims, ...new Array<number>(7 - dims.length).fill(1)]
  const pix = [1, ...pixdim, ...new Array<number>(7 - dims.length).fill(1)]
  w.i32(headerBytes, 0)
  if (version === 1) {
    dim.forEach((d, i) => w.i16(d, 40 + 2 * i))
    pix.forEach((p, i) => w.f32(p, 76 + 4 * i))
    w.i16(options.intent ?? 0, 68)
    w.i16(datatype, 70)
    w.i16(bytes * 8, 72)
    w.f32(352, 108)
    w.f32(options.slope ?? 0, 112)
    h.writeUInt8(2, 123) // mm
    h.write('n+1\0', 344, 'latin1')
  } else {
    h.write('n+2\0\r\n\x1a\n', 4, 'latin1')
    w.i16(datatype, 12)
    w.i16(bytes * 8, 14)
    dim.forEach((d, i) => w.i64(d, 16 + 8 * i))
    pix.forEach((p, i) => w.f64(p, 104 + 8 * i))
    w.i64(544, 168)
    w.f64(options.slope ?? 0, 176)
    w.i32(2, 500)
    w.i32(options.intent ?? 0, 504)
  }
  return options.headerOnly ? h : Buffer.concat([h, Buffer.alloc(voxels * bytes)])
}

describe('readImageHeader agrees with itk-wasm on normal images', () => {
  // Every pixel type through each format's type table; the other variants of a format share it.
  const formats = {
    '.mha': COMPONENT_TYPES,
    '.nii.gz': COMPONENT_TYPES,
    '.nrrd': COMPONENT_TYPES,
    '.mhd': ['uint8', 'float32'],
    '.nii': ['int16', 'float64'],
    '.nhdr': ['uint16', 'int32'],
  } as const
  for (const [ext, types] of Object.entries(formats)) {
    for (const componentType of types) {
      it(`${ext} ${componentType}`, async () => {
        const file = join(dir, `${componentType}${ext}`)
        await writeImage(image(componentType), file, { compress: ext !== '.nii' && componentType !== 'int8' })
        expect(await headerInfo(file)).toEqual(await itkInfo(file))
      })
    }
  }

  it('NIfTI variants: big-endian, a 4D header with one time point, a 2D image, RGB, int64, rescaled integers', async () => {
    const cases: Record<string, Buffer> = {
      'be.nii': nifti({ dims: [6, 5, 4], datatype: 512, bytes: 2, pixdim: [0.5, 0.7, 2], bigEndian: true }),
      't1.nii': nifti({ dims: [6, 5, 4, 1], datatype: 2, bytes: 1 }),
      '2d.nii': nifti({ dims: [6, 5], datatype: 2, bytes: 1 }),
      'rgb.nii': nifti({ dims: [6, 5, 4], datatype: 128, bytes: 3 }),
      'i64.nii': nifti({ dims: [6, 5, 4], datatype: 1024, bytes: 8 }),
      'vector.nii': nifti({ dims: [6, 5, 4, 1, 3], datatype: 16, bytes: 4, intent: 1007 }),
    }
    for (const [name, bytes] of Object.entries(cases)) {
      writeFileSync(join(dir, name), bytes)
      writeFileSync(join(dir, `${name}.gz`), gzipSync(bytes))
      for (const file of [name, `${name}.gz`])
        expect({ file, ...(await headerInfo(join(dir, file))) }).toEqual({ file, ...(await itkInfo(join(dir, file))) })
    }
    // Rescaled integers: ITK reads them as float when a qform or sform is set.
    const itkWritten = join(dir, 'uint8.nii')
    await writeImage(image('uint8'), itkWritten, { compress: false })
    const scaled = readFileSync(itkWritten)
    scaled.writeFloatLE(2, 112)
    writeFileSync(join(dir, 'scaled.nii'), scaled)
    expect(await headerInfo(join(dir, 'scaled.nii'))).toEqual(await itkInfo(join(dir, 'scaled.nii')))
    expect((await readImageHeader(join(dir, 'scaled.nii'))).componentType).toBe('float32')
  })

  it('MetaImage and NRRD variants: channels, a vector axis, spacings without space directions', async () => {
    const mha = readFileSync(join(dir, 'int16.mha')).toString('latin1')
    const header = mha
      .slice(0, mha.indexOf('ElementDataFile = LOCAL\n'))
      .replace(/CompressedData = True\nCompressedDataSize = \d+\n/, 'CompressedData = False\n')
    writeFileSync(
      join(dir, 'rgb.mha'),
      Buffer.concat([Buffer.from(`${header}ElementNumberOfChannels = 3\nElementDataFile = LOCAL\n`, 'latin1'), Buffer.alloc(60 * 6)]),
    )
    writeFileSync(
      join(dir, 'vector.nrrd'),
      Buffer.concat([
        Buffer.from(
          'NRRD0004\ntype: short\ndimension: 4\nspace: left-posterior-superior\nsizes: 3 5 4 2\n' +
            'space directions: none (0.5,0,0) (0,0.6,0) (0,0,3)\nkinds: vector domain domain domain\nendian: little\nencoding: raw\n\n',
          'latin1',
        ),
        Buffer.alloc(120 * 6),
      ]),
    )
    writeFileSync(
      join(dir, 'spacings.nrrd'),
      Buffer.concat([
        Buffer.from(
          'NRRD0004\ntype: unsigned char\ndimension: 3\nsizes: 5 4 3\nspacings: 0.5 0.6 3\nendian: little\nencoding: raw\n\n',
          'latin1',
        ),
        Buffer.alloc(60),
      ]),
    )
    for (const name of ['rgb.mha', 'vector.nrrd', 'spacings.nrrd'])
      expect({ name, ...(await headerInfo(join(dir, name))) }).toEqual({ name, ...(await itkInfo(join(dir, name))) })
  })
})

const problem = async (file: string, limits = {}) =>
  readImage(file, limits).then(
    () => 'read',
    (err: unknown) => (err instanceof ImageError ? err.problem : `not an ImageError: ${String(err)}`),
  )

/** A MetaImage header for `size` of float32 voxels, with `data` as its compressed pixel data. */
const mhaWith = (size: number[], data: Buffer, compressed = true, declared: number | null = data.length) =>
  Buffer.concat([
    Buffer.from(
      [
        'ObjectType = Image',
        'NDims = 3',
        'BinaryData = True',
        'BinaryDataByteOrderMSB = False',
        `CompressedData = ${compressed ? 'True' : 'False'}`,
        ...(compressed && declared !== null ? [`CompressedDataSize = ${declared}`] : []),
        `DimSize = ${size.join(' ')}`,
        'ElementType = MET_FLOAT',
        'ElementDataFile = LOCAL',
        '',
      ].join('\n'),
      'latin1',
    ),
    data,
  ])

describe('readImage refuses before decoding', () => {
  it('a NIfTI header claiming 2000³ float32 voxels (a 55-byte .nii.gz): too many voxels, or not the expected size', async () => {
    const bomb = nifti({ dims: [2000, 2000, 2000], datatype: 16, bytes: 4, headerOnly: true })
    const file = join(dir, 'bomb.nii.gz')
    writeFileSync(file, gzipSync(bomb, { level: 9 }))
    expect(await problem(file, { maxVoxels: 2 ** 28 })).toBe('size 2000x2000x2000 is 8000000000 voxels, more than the 268435456 allowed')
    expect(await problem(file, { expectedSize: [17, 214, 214] })).toBe('size 2000x2000x2000 differs from the expected size 17x214x214')
    // Without limits, its few compressed bytes cannot hold what it declares.
    expect(await problem(file)).toMatch(
      new RegExp(
        /^the file holds \d+ bytes of compressed data, /.source +
          /too few to decompress to the 32000000000 bytes its header declares \(2000x2000x2000 float32\)$/.source,
      ),
    )
    expect((await readImageHeader(file)).dataBytes).toBe(32e9)
  })

  it('compressed data that inflates beyond the declared size stops at the bound (native .mha, .nii.gz, gzip .nrrd)', async () => {
    const zeros = Buffer.alloc(4 * 1024 * 1024)
    writeFileSync(join(dir, 'inflate.mha'), mhaWith([5, 4, 3], deflateSync(zeros, { level: 9 })))
    expect(await problem(join(dir, 'inflate.mha'))).toBe('compressed data decompresses to more than the 240 bytes its header declares')
    writeFileSync(join(dir, 'inflate.nii.gz'), gzipSync(Buffer.concat([nifti({ dims: [5, 4, 3], datatype: 16, bytes: 4 }), zeros])))
    expect(await problem(join(dir, 'inflate.nii.gz'))).toBe('compressed data decompresses to more than the 592 bytes its header declares')
    writeFileSync(
      join(dir, 'inflate.nrrd'),
      Buffer.concat([
        Buffer.from('NRRD0004\ntype: float\ndimension: 3\nsizes: 5 4 3\nendian: little\nencoding: gzip\n\n', 'latin1'),
        gzipSync(zeros),
      ]),
    )
    expect(await problem(join(dir, 'inflate.nrrd'))).toBe('compressed data decompresses to more than the 240 bytes its header declares')
    // A compressed stream far larger than any compression of the declared pixels is refused unread.
    writeFileSync(join(dir, 'big.mha'), mhaWith([5, 4, 3], Buffer.alloc(200_000, 1)))
    expect(await problem(join(dir, 'big.mha'))).toBe(
      'the file holds 200000 bytes of compressed data, more than any compression of the 240 bytes its header declares (5x4x3 MET_FLOAT)',
    )
  })

  it('data lengths that do not match the dimensions', async () => {
    writeFileSync(join(dir, 'short.mha'), mhaWith([5, 4, 3], Buffer.alloc(239), false))
    expect(await problem(join(dir, 'short.mha'))).toBe('truncated file: pixel data needs 240 bytes, the file holds 239')
    writeFileSync(join(dir, 'long.mha'), mhaWith([5, 4, 3], Buffer.alloc(241), false))
    expect(await problem(join(dir, 'long.mha'))).toBe(
      'the file holds 241 bytes of pixel data, but its header declares 5x4x3 MET_FLOAT (240 bytes)',
    )
    const data = deflateSync(Buffer.alloc(240))
    writeFileSync(join(dir, 'declared.mha'), mhaWith([5, 4, 3], data, true, data.length - 3))
    expect(await problem(join(dir, 'declared.mha'))).toBe(
      `the file holds ${data.length} bytes of compressed data, but its header declares ${data.length - 3} (CompressedDataSize)`,
    )
    writeFileSync(join(dir, 'short.nii'), nifti({ dims: [5, 4, 3], datatype: 16, bytes: 4 }).subarray(0, 500))
    expect(await problem(join(dir, 'short.nii'))).toBe('truncated file: pixel data needs 240 bytes, the file holds 148')
    expect(await problem(join(dir, 'declared.mha'), { expectedSize: [5, 4, 4] })).toBe('size 5x4x3 differs from the expected size 5x4x4')
  })

  it('headers that are not 3D scalar images of a supported type, detached data outside the folder, garbage', async () => {
    writeFileSync(join(dir, 'flat.nii'), nifti({ dims: [6, 5], datatype: 2, bytes: 1 }))
    expect(await problem(join(dir, 'flat.nii'))).toBe('expected a 3D image, got 2D')
    writeFileSync(join(dir, 'rgb3.nii'), nifti({ dims: [6, 5, 4], datatype: 128, bytes: 3 }))
    expect(await problem(join(dir, 'rgb3.nii'))).toBe('expected a scalar image, got 3 components per pixel')
    writeFileSync(join(dir, 'i64.nii'), nifti({ dims: [6, 5, 4], datatype: 1024, bytes: 8 }))
    expect(await problem(join(dir, 'i64.nii'))).toBe('unsupported pixel type int64')
    writeFileSync(
      join(dir, 'i64.mha'),
      mhaWith([5, 4, 3], Buffer.alloc(480), false).toString('latin1').replace('MET_FLOAT', 'MET_LONG_LONG'),
      'latin1',
    )
    expect(await problem(join(dir, 'i64.mha'))).toBe('unsupported pixel type int64')
    writeFileSync(
      join(dir, 'u64.nrrd'),
      'NRRD0004\ntype: unsigned long long\ndimension: 3\nsizes: 2 2 2\nencoding: raw\n\n' + '\0'.repeat(64),
      'latin1',
    )
    expect(await problem(join(dir, 'u64.nrrd'))).toBe('unsupported pixel type uint64')
    writeFileSync(join(dir, 'escape.mhd'), 'NDims = 3\nDimSize = 2 2 2\nElementType = MET_UCHAR\nElementDataFile = ../secret.raw\n')
    expect(await problem(join(dir, 'escape.mhd'))).toBe(
      'data file "../secret.raw" must be a file next to the header (a relative name without "..")',
    )
    writeFileSync(join(dir, 'absolute.nhdr'), 'NRRD0004\ntype: uchar\ndimension: 3\nsizes: 2 2 2\nencoding: raw\ndata file: /etc/passwd\n')
    expect(await problem(join(dir, 'absolute.nhdr'))).toBe(
      'data file "/etc/passwd" must be a file next to the header (a relative name without "..")',
    )
    writeFileSync(join(dir, 'garbage.mha'), 'garbage')
    expect(await problem(join(dir, 'garbage.mha'))).toBe(
      'cannot read image (no MetaImage header: expected "Key = Value" lines ending with ElementDataFile)',
    )
    writeFileSync(join(dir, 'garbage.nii.gz'), 'garbage')
    expect(await problem(join(dir, 'garbage.nii.gz'))).toBe('cannot read image (no NIfTI header: 7 bytes, a header has 348)')
    writeFileSync(join(dir, 'v2.nii'), nifti({ dims: [6, 5, 4], datatype: 16, bytes: 4, version: 2 }))
    expect(await problem(join(dir, 'v2.nii'))).toBe('cannot read image (NIfTI-2 is not supported: save the image as NIfTI-1)')
    writeFileSync(join(dir, 'bzip.nrrd'), 'NRRD0004\ntype: uchar\ndimension: 3\nsizes: 2 2 2\nencoding: bzip2\n\n')
    expect(await problem(join(dir, 'bzip.nrrd'))).toBe('cannot read image (NRRD encoding "bzip2" is not supported (use raw or gzip))')
  })

  it('still reads detached and itk-wasm-decoded images that pass the checks, with the values itk-wasm gives', async () => {
    const source = image('int16')
    for (const ext of ['.mhd', '.nhdr', '.nii.gz', '.nrrd']) {
      const file = join(dir, `ok${ext}`)
      await writeImage(source, file)
      const read = await readImage(file, { expectedSize: [5, 4, 3], maxVoxels: 60 })
      expect([...read.data]).toEqual([...source.data])
    }
  })

  it('checkImageHeader takes a custom size problem', async () => {
    const header = await readImageHeader(join(dir, 'ok.nrrd'))
    expect(() =>
      checkImageHeader(header, 'p.nrrd', { expectedSize: [1, 2, 3], sizeProblem: (s, e) => `size ${s.join('x')} is not ${e.join('x')}` }),
    ).toThrow('p.nrrd: size 5x4x3 is not 1x2x3')
  })
})
