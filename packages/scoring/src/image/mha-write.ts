import { writeFile } from 'node:fs/promises'
import { promisify } from 'node:util'
import { deflate } from 'node:zlib'
import type { ComponentType, Image3D } from './types.ts'

const deflateAsync = promisify(deflate)

const ELEMENT_TYPES: Record<ComponentType, string> = {
  uint8: 'MET_UCHAR',
  int8: 'MET_CHAR',
  uint16: 'MET_USHORT',
  int16: 'MET_SHORT',
  uint32: 'MET_UINT',
  int32: 'MET_INT',
  float32: 'MET_FLOAT',
  float64: 'MET_DOUBLE',
}

// zlib level: 1-byte label masks compress well and fast at 6; noisy 16/32-bit images gain
// almost nothing above 2 and cost several times more CPU.
const levelFor = (type: ComponentType): number => (type === 'uint8' || type === 'int8' ? 6 : 2)

/** Shortest decimal that reads back to the same double (what String gives), never "-0". */
const num = (x: number): string => (Object.is(x, -0) ? '0' : String(x))

/**
 * The header ITK's MetaImageIO writes for a 3D scalar image. TransformMatrix lists the
 * direction matrix column by column (axis 0's direction cosine first), as MetaIO does.
 */
function mhaHeader(image: Image3D, compressedSize: number | null): string {
  const d = image.direction
  const transform = [0, 1, 2].flatMap((axis) => [d[axis], d[3 + axis], d[6 + axis]])
  const lines = [
    'ObjectType = Image',
    'NDims = 3',
    'BinaryData = True',
    'BinaryDataByteOrderMSB = False',
    `CompressedData = ${compressedSize === null ? 'False' : 'True'}`,
    ...(compressedSize === null ? [] : [`CompressedDataSize = ${compressedSize}`]),
    `TransformMatrix = ${transform.map(num).join(' ')}`,
    `Offset = ${image.origin.map(num).join(' ')}`,
    'CenterOfRotation = 0 0 0',
    'AnatomicalOrientation = RAI',
    `ElementSpacing = ${image.spacing.map(num).join(' ')}`,
    `DimSize = ${image.size.join(' ')}`,
    `ElementType = ${ELEMENT_TYPES[image.componentType]}`,
    'ElementDataFile = LOCAL',
  ]
  return lines.join('\n') + '\n'
}

function checkImage(image: Image3D): void {
  const [nx, ny, nz] = image.size
  if (image.data.length !== nx * ny * nz) {
    throw new Error(`writeMha: ${image.data.length} pixels do not match size ${image.size.join(' x ')}`)
  }
  if (image.direction.length !== 9) throw new Error(`writeMha: direction must have 9 entries, got ${image.direction.length}`)
  if (!ELEMENT_TYPES[image.componentType]) throw new Error(`writeMha: unsupported pixel type ${image.componentType}`)
}

/**
 * Encodes a 3D scalar image as a single-file MetaImage (.mha), little-endian, zlib-compressed
 * unless `compress` is false. Deterministic: the same image gives the same bytes. Compression
 * runs on the libuv thread pool, off the event loop.
 */
export async function encodeMha(image: Image3D, options: { compress?: boolean } = {}): Promise<Buffer> {
  checkImage(image)
  const raw = Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength)
  if (options.compress === false) return Buffer.concat([Buffer.from(mhaHeader(image, null), 'latin1'), raw])
  const body = await deflateAsync(raw, { level: levelFor(image.componentType) })
  return Buffer.concat([Buffer.from(mhaHeader(image, body.length), 'latin1'), body])
}

/** Writes `image` to `file` as .mha (see encodeMha). */
export async function writeMha(image: Image3D, file: string, options: { compress?: boolean } = {}): Promise<void> {
  await writeFile(file, await encodeMha(image, options))
}
