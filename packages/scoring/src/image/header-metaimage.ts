import { detachedDataFile, fileSize, readPrefix, voxelCount, type DataLocation, type ImageHeader } from './header.ts'
import { ImageError, type ComponentType } from './types.ts'

/**
 * MetaIO element types: ITK's pixel type (null: none the project reads, `itk` naming it as
 * itk-wasm does) and bytes per component.
 */
const ELEMENT_TYPES: Record<string, { type: ComponentType | null; bytes: number; itk?: string }> = {
  MET_CHAR: { type: 'int8', bytes: 1 },
  MET_UCHAR: { type: 'uint8', bytes: 1 },
  MET_SHORT: { type: 'int16', bytes: 2 },
  MET_USHORT: { type: 'uint16', bytes: 2 },
  MET_INT: { type: 'int32', bytes: 4 },
  MET_UINT: { type: 'uint32', bytes: 4 },
  // ITK reads MET_LONG and MET_ULONG as 64-bit integers, which the project does not read.
  MET_LONG: { type: null, bytes: 8, itk: 'int64' },
  MET_ULONG: { type: null, bytes: 8, itk: 'uint64' },
  MET_LONG_LONG: { type: null, bytes: 8, itk: 'int64' },
  MET_ULONG_LONG: { type: null, bytes: 8, itk: 'uint64' },
  MET_FLOAT: { type: 'float32', bytes: 4 },
  MET_DOUBLE: { type: 'float64', bytes: 8 },
}

/** The header is ASCII `Key = Value` lines ending with `ElementDataFile`; ITK writes a few hundred bytes. */
export const MAX_META_HEADER = 64 * 1024

/**
 * The `Key = Value` fields of a MetaImage header and where its data starts (just after the
 * `ElementDataFile` line), or dataStart -1 when the text holds no complete header.
 */
export function parseMetaFields(head: string): { fields: Map<string, string>; dataStart: number } {
  const fields = new Map<string, string>()
  let pos = 0
  while (pos < head.length) {
    const eol = head.indexOf('\n', pos)
    if (eol < 0) break
    const line = head.slice(pos, eol).replace(/\r$/, '')
    pos = eol + 1
    const eq = line.indexOf('=')
    if (eq < 0) continue
    const key = line.slice(0, eq).trim()
    fields.set(key, line.slice(eq + 1).trim())
    if (key === 'ElementDataFile') return { fields, dataStart: pos }
  }
  return { fields, dataStart: -1 }
}

function numbers(text: string | undefined): number[] | null {
  if (text === undefined) return null
  const values = text
    .split(/\s+/)
    .filter((p) => p !== '')
    .map(Number)
  return values.every(Number.isFinite) ? values : null
}

const isTrue = (value: string | undefined, fallback: boolean): boolean => (value === undefined ? fallback : value.toLowerCase() === 'true')

/** Reads the header of a .mha (data in the file) or .mhd (data in the file it names). */
export async function readMetaImageHeader(file: string): Promise<ImageHeader> {
  const prefix = await readPrefix(file, MAX_META_HEADER)
  const { fields, dataStart } = parseMetaFields(prefix.toString('latin1'))
  const bad = (why: string) => new ImageError(file, `cannot read image (${why})`)
  if (dataStart < 0) throw bad('no MetaImage header: expected "Key = Value" lines ending with ElementDataFile')
  const objectType = fields.get('ObjectType')
  if (objectType !== undefined && objectType !== 'Image') throw bad(`ObjectType ${objectType} is not an image`)
  const ndims = Number(fields.get('NDims'))
  if (!Number.isInteger(ndims) || ndims < 1 || ndims > 10) throw bad(`invalid NDims "${fields.get('NDims') ?? ''}"`)
  const size = numbers(fields.get('DimSize'))
  if (!size || size.length !== ndims) throw bad(`DimSize "${fields.get('DimSize') ?? ''}" does not list ${ndims} sizes`)
  const voxels = voxelCount(file, size)
  const spacing = numbers(fields.get('ElementSpacing') ?? fields.get('ElementSize')) ?? new Array<number>(ndims).fill(1)
  const components = Number(fields.get('ElementNumberOfChannels') ?? '1')
  if (!Number.isInteger(components) || components < 1)
    throw bad(`invalid ElementNumberOfChannels "${fields.get('ElementNumberOfChannels') ?? ''}"`)
  const pixelType = fields.get('ElementType') ?? ''
  const element = ELEMENT_TYPES[pixelType] ?? { type: null, bytes: 0 }
  if (!isTrue(fields.get('BinaryData'), true)) throw bad('ASCII pixel data (BinaryData = False) is not supported')
  const compressed = isTrue(fields.get('CompressedData'), false)
  const bigEndian = isTrue(fields.get('BinaryDataByteOrderMSB') ?? fields.get('ElementByteOrderMSB'), false)
  const headerSize = Number(fields.get('HeaderSize') ?? '0')
  if (!Number.isInteger(headerSize) || headerSize < -1 || (compressed && headerSize !== 0))
    throw bad(`HeaderSize ${fields.get('HeaderSize')} is not supported${compressed ? ' with compressed data' : ''}`)
  const dataBytes = voxels * components * element.bytes

  const dataFile = fields.get('ElementDataFile') ?? ''
  let location: { file: string; size: number; start: number }
  if (dataFile === 'LOCAL') {
    location = { file, size: await fileSize(file), start: dataStart }
  } else {
    if (dataFile.startsWith('LIST') || /\s/.test(dataFile))
      throw bad(`data split over several files (ElementDataFile = ${dataFile}) is not supported`)
    location = { ...(await detachedDataFile(file, dataFile)), start: 0 }
  }
  let offset = location.start + Math.max(0, headerSize)
  // HeaderSize -1: the pixel data is the end of the file, whatever precedes it.
  if (headerSize === -1) offset = Math.max(location.start, location.size - dataBytes)
  const available = Math.max(0, location.size - offset)
  const declaredText = fields.get('CompressedDataSize')
  const declared = compressed && declaredText !== undefined ? Number(declaredText) : null
  if (declared !== null && !(Number.isSafeInteger(declared) && declared >= 0)) throw bad(`invalid CompressedDataSize "${declaredText}"`)
  const data: DataLocation = { file: location.file, offset, stored: available, declared, encoding: compressed ? 'zlib' : 'raw', skip: 0 }
  return {
    format: 'MetaImage',
    dimension: ndims,
    size,
    spacing,
    components,
    componentType: element.type,
    pixelType: element.itk ?? (pixelType || 'none'),
    voxels,
    dataBytes,
    data,
    native: dataFile === 'LOCAL' && !bigEndian && headerSize === 0 && ndims === 3 && components === 1 && element.type !== null,
  }
}
