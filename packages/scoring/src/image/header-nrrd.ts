import { detachedDataFile, fileSize, readPrefix, voxelCount, type ImageHeader } from './header.ts'
import { ImageError, type ComponentType } from './types.ts'

/**
 * NRRD type names (teem's spellings) → ITK's pixel type (null: none the project reads, named
 * as itk-wasm names it for messages) and bytes.
 */
const TYPES: Array<[string[], ComponentType | null, number, string?]> = [
  [['signed char', 'int8', 'int8_t'], 'int8', 1],
  [['uchar', 'unsigned char', 'uint8', 'uint8_t'], 'uint8', 1],
  [['short', 'short int', 'signed short', 'signed short int', 'int16', 'int16_t'], 'int16', 2],
  [['ushort', 'unsigned short', 'unsigned short int', 'uint16', 'uint16_t'], 'uint16', 2],
  [['int', 'signed int', 'int32', 'int32_t'], 'int32', 4],
  [['uint', 'unsigned int', 'uint32', 'uint32_t'], 'uint32', 4],
  [['longlong', 'long long', 'long long int', 'signed long long', 'signed long long int', 'int64', 'int64_t'], null, 8, 'int64'],
  [['ulonglong', 'unsigned long long', 'unsigned long long int', 'uint64', 'uint64_t'], null, 8, 'uint64'],
  [['float'], 'float32', 4],
  [['double'], 'float64', 8],
]
const TYPE_OF = new Map(TYPES.flatMap(([names, type, bytes, itk]) => names.map((n) => [n, { type, bytes, itk }] as const)))

/** Axis kinds teem counts as domain axes (unknown kinds included); any other kind holds components. */
const DOMAIN_KINDS = new Set(['domain', 'space', 'time', '???', 'none'])

export const MAX_NRRD_HEADER = 64 * 1024

/** Reads the header of a .nrrd (data after the header) or .nhdr (data in the file it names). */
export async function readNrrdHeader(file: string): Promise<ImageHeader> {
  const bad = (why: string) => new ImageError(file, `cannot read image (${why})`)
  const prefix = await readPrefix(file, MAX_NRRD_HEADER)
  const text = prefix.toString('latin1')
  if (!text.startsWith('NRRD000')) throw bad('no NRRD header: the file does not start with "NRRD000"')
  const fields = new Map<string, string>()
  let pos = text.indexOf('\n') + 1
  let dataStart = -1
  while (pos > 0 && pos < text.length) {
    const eol = text.indexOf('\n', pos)
    const line = text.slice(pos, eol < 0 ? text.length : eol).replace(/\r$/, '')
    if (eol < 0 && prefix.length === MAX_NRRD_HEADER) throw bad(`NRRD header longer than ${MAX_NRRD_HEADER} bytes`)
    pos = eol < 0 ? text.length : eol + 1
    if (line === '') {
      dataStart = pos
      break
    }
    if (line.startsWith('#') || line.includes(':=')) continue
    const colon = line.indexOf(':')
    if (colon < 0) throw bad(`malformed NRRD header line "${line.slice(0, 80)}"`)
    fields.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim())
  }
  const dimension = Number(fields.get('dimension'))
  if (!Number.isInteger(dimension) || dimension < 1 || dimension > 16) throw bad(`invalid dimension "${fields.get('dimension') ?? ''}"`)
  const sizes = (fields.get('sizes') ?? '')
    .split(/\s+/)
    .filter((s) => s !== '')
    .map(Number)
  if (sizes.length !== dimension) throw bad(`sizes "${fields.get('sizes') ?? ''}" does not list ${dimension} sizes`)
  const allVoxels = voxelCount(file, sizes)
  const kinds = (fields.get('kinds') ?? '').split(/\s+/).filter((s) => s !== '')
  const domain = sizes.map((_, i) => kinds.length !== dimension || DOMAIN_KINDS.has(kinds[i].toLowerCase()))
  const rangeAxes = domain.filter((d) => !d).length
  if (rangeAxes > 1) throw bad(`${rangeAxes} non-spatial axes (kinds ${kinds.join(' ')}); at most one is supported`)
  const size = sizes.filter((_, i) => domain[i])
  const components = sizes.find((_, i) => !domain[i]) ?? 1
  const typeName = fields.get('type') ?? 'none'
  const element = TYPE_OF.get(typeName.toLowerCase()) ?? { type: null, bytes: 0, itk: undefined }
  const pixelType = element.itk ?? typeName

  const encoding = (fields.get('encoding') ?? '').toLowerCase()
  if (encoding !== 'raw' && encoding !== 'gzip' && encoding !== 'gz')
    throw bad(`NRRD encoding "${encoding}" is not supported (use raw or gzip)`)
  for (const key of ['line skip', 'lineskip', 'byte skip', 'byteskip']) {
    if (Number(fields.get(key) ?? '0') !== 0) throw bad(`NRRD "${key}: ${fields.get(key)}" is not supported`)
  }
  const dataFile = fields.get('data file') ?? fields.get('datafile')
  let location: { file: string; offset: number; size: number }
  if (dataFile === undefined) {
    if (dataStart < 0) throw bad('the NRRD header names no data file and has no data after it')
    location = { file, offset: dataStart, size: await fileSize(file) }
  } else {
    if (/\s/.test(dataFile)) throw bad(`data split over several files (data file: ${dataFile}) is not supported`)
    location = { ...(await detachedDataFile(file, dataFile)), offset: 0 }
  }

  // Spacing of the domain axes: the norm of each space direction, else `spacings`, else 1.
  const directions = /\([^)]*\)|none/g
  const vectors = (fields.get('space directions') ?? '').match(directions) ?? []
  const spacings = (fields.get('spacings') ?? '')
    .split(/\s+/)
    .filter((s) => s !== '')
    .map(Number)
  const spacing = sizes
    .map((_, i) => {
      const v = vectors.length === dimension ? vectors[i] : undefined
      if (v !== undefined && v !== 'none') return Math.hypot(...v.slice(1, -1).split(',').map(Number))
      return spacings.length === dimension && Number.isFinite(spacings[i]) ? spacings[i] : 1
    })
    .filter((_, i) => domain[i])
  return {
    format: 'NRRD',
    dimension: size.length,
    size,
    spacing,
    components,
    componentType: element.type,
    pixelType,
    voxels: voxelCount(file, size),
    dataBytes: allVoxels * element.bytes,
    data: {
      file: location.file,
      offset: location.offset,
      stored: Math.max(0, location.size - location.offset),
      declared: null,
      encoding: encoding === 'raw' ? 'raw' : 'gzip',
      skip: 0,
    },
    native: false,
  }
}
