import { inflateBounded } from './bounded-inflate.ts'
import { fileSize, readPrefix, voxelCount, type ImageHeader } from './header.ts'
import { ImageError, type ComponentType } from './types.ts'

/** NIfTI datatype codes: ITK's pixel type (null: none the project reads), bytes per voxel, components. */
const DATATYPES: Record<number, { type: ComponentType | null; bytes: number; components: number; name: string }> = {
  2: { type: 'uint8', bytes: 1, components: 1, name: 'uint8' },
  4: { type: 'int16', bytes: 2, components: 1, name: 'int16' },
  8: { type: 'int32', bytes: 4, components: 1, name: 'int32' },
  16: { type: 'float32', bytes: 4, components: 1, name: 'float32' },
  32: { type: 'float32', bytes: 8, components: 2, name: 'complex64' },
  64: { type: 'float64', bytes: 8, components: 1, name: 'float64' },
  128: { type: 'uint8', bytes: 3, components: 3, name: 'rgb24' },
  256: { type: 'int8', bytes: 1, components: 1, name: 'int8' },
  512: { type: 'uint16', bytes: 2, components: 1, name: 'uint16' },
  768: { type: 'uint32', bytes: 4, components: 1, name: 'uint32' },
  1024: { type: null, bytes: 8, components: 1, name: 'int64' },
  1280: { type: null, bytes: 8, components: 1, name: 'uint64' },
  1536: { type: null, bytes: 16, components: 1, name: 'float128' },
  1792: { type: 'float64', bytes: 16, components: 2, name: 'complex128' },
  2048: { type: null, bytes: 32, components: 2, name: 'complex256' },
  2304: { type: 'uint8', bytes: 4, components: 4, name: 'rgba32' },
}

const INTENT_SYMMATRIX = 1005
const INTENT_VECTOR = 1007
const INTENT_GENMATRIX = 1004

/** The fields of a NIfTI-1 header the reader needs. */
interface NiftiFields {
  readonly headerBytes: number
  readonly dim: number[]
  readonly pixdim: number[]
  readonly datatype: number
  readonly intentCode: number
  readonly voxOffset: number
  readonly sclSlope: number
  readonly sclInter: number
  readonly qformCode: number
  readonly sformCode: number
  readonly xyztUnits: number
}

function parseFields(head: Buffer, bad: (why: string) => ImageError): NiftiFields {
  const version = head.length >= 4 ? [head.readInt32LE(0), head.readInt32BE(0)].find((v) => v === 348 || v === 540) : undefined
  // itk-wasm's NIfTI reader does not read NIfTI-2: say so rather than fail later.
  if (version === 540) throw bad('NIfTI-2 is not supported: save the image as NIfTI-1')
  if (head.length < 348) throw bad(`no NIfTI header: ${head.length} bytes, a header has 348`)
  if (version !== 348) throw bad('no NIfTI header (sizeof_hdr is not 348)')
  const little = head.readInt32LE(0) === 348
  const i16 = (o: number) => (little ? head.readInt16LE(o) : head.readInt16BE(o))
  const f32 = (o: number) => (little ? head.readFloatLE(o) : head.readFloatBE(o))
  const magic = head.toString('latin1', 344, 348)
  if (magic !== 'n+1\0') throw bad(magic === 'ni1\0' ? 'a NIfTI .hdr/.img pair, not a single-file .nii' : 'no NIfTI-1 magic "n+1"')
  return {
    headerBytes: 348,
    dim: Array.from({ length: 8 }, (_, i) => i16(40 + 2 * i)),
    pixdim: Array.from({ length: 8 }, (_, i) => f32(76 + 4 * i)),
    datatype: i16(70),
    intentCode: i16(68),
    voxOffset: f32(108),
    sclSlope: f32(112),
    sclInter: f32(116),
    qformCode: i16(252),
    sformCode: i16(254),
    xyztUnits: head.readUInt8(123),
  }
}

/**
 * Reads the header of a NIfTI-1 .nii or .nii.gz image. For .nii.gz only the first 348 bytes
 * of the stream are decompressed. Dimension, components and pixel type follow ITK's
 * NiftiImageIO (trailing size-1 axes beyond the third dropped; vector intents; rescaled
 * integers read as float).
 */
export async function readNiftiHeader(file: string, gz: boolean): Promise<ImageHeader> {
  const bad = (why: string) => new ImageError(file, `cannot read image (${why})`)
  const total = await fileSize(file).catch(() => 0)
  const prefix = await readPrefix(file, 348)
  // znzlib reads a .nii.gz that is not compressed as it is; so does this reader.
  const compressed = gz && prefix.length >= 2 && prefix[0] === 0x1f && prefix[1] === 0x8b
  let head = prefix
  if (compressed) {
    try {
      head = (await inflateBounded(file, { start: 0, length: total, encoding: 'gzip', keep: 348, limit: 348 })).head
    } catch (err) {
      throw bad(`corrupt gzip stream (${(err as Error).message})`)
    }
  }
  const h = parseFields(head, bad)
  const ndim = h.dim[0]
  if (!(ndim >= 1 && ndim <= 7)) throw bad(`invalid dim[0] ${ndim}`)
  if (h.intentCode === INTENT_GENMATRIX) throw bad('intent NIFTI_INTENT_GENMATRIX is not supported')
  const vector = h.intentCode === INTENT_VECTOR || h.intentCode === INTENT_SYMMATRIX
  let dimension: number
  if (vector) {
    dimension = h.dim[4] > 1 ? 4 : h.dim[3] > 1 ? 3 : h.dim[2] > 1 ? 2 : 1
  } else {
    // ITK: "some straight-from-the-scanner files report as 4D with T = 1".
    dimension = ndim
    while (dimension > 3 && h.dim[dimension] === 1) dimension--
  }
  const size = h.dim.slice(1, dimension + 1)
  const voxels = voxelCount(file, size)
  const datatype = DATATYPES[h.datatype] ?? { type: null, bytes: 0, components: 1, name: `datatype ${h.datatype}` }
  const components = vector ? Math.max(1, h.dim[5]) : datatype.components
  // Every voxel nifti stores: the product of dim[1..dim[0]] (vector components included).
  const stored = voxelCount(
    file,
    h.dim.slice(1, ndim + 1).map((d) => (d > 0 ? d : 1)),
  )
  const dataBytes = stored * datatype.bytes
  let componentType = datatype.type
  const finite = (v: number, fallback: number) => (Number.isFinite(v) ? v : fallback)
  if (componentType !== null && componentType !== 'float32' && componentType !== 'float64' && (h.qformCode !== 0 || h.sformCode !== 0)) {
    const slope = finite(h.sclSlope, 0) === 0 ? 1 : h.sclSlope
    const inter = finite(h.sclInter, 0)
    if (slope !== 1 || inter !== 0) componentType = 'float32'
  }
  const spaceScale = { 1: 1e3, 2: 1, 3: 1e-3 }[h.xyztUnits & 0x07] ?? 1
  const timeScale = { 8: 1, 16: 1e-3, 24: 1e-6 }[h.xyztUnits & 0x38] ?? 1
  const spacing = size.map((_, i) => Math.abs(h.pixdim[i + 1]) * (i < 3 ? spaceScale : i === 3 ? timeScale : 1))
  if (!Number.isInteger(h.voxOffset) || h.voxOffset < h.headerBytes) throw bad(`invalid vox_offset ${h.voxOffset}`)
  return {
    format: 'NIfTI',
    dimension,
    size,
    spacing,
    components,
    componentType,
    pixelType: datatype.name,
    voxels,
    dataBytes,
    data: compressed
      ? { file, offset: 0, stored: total, declared: null, encoding: 'gzip', skip: h.voxOffset }
      : { file, offset: h.voxOffset, stored: Math.max(0, total - h.voxOffset), declared: null, encoding: 'raw', skip: 0 },
    native: false,
  }
}
