import { open, stat } from 'node:fs/promises'
import { dirname, isAbsolute, join } from 'node:path'
import { ImageError, type ComponentType } from './types.ts'

/** How pixel data is stored: as is, one zlib stream (MetaImage) or gzip (NIfTI .nii.gz, NRRD). */
export type DataEncoding = 'raw' | 'zlib' | 'gzip'

/** Where an image's pixel data lies, as its header declares it. */
export interface DataLocation {
  /** The file holding the data: the image file itself, or a detached data file next to it. */
  readonly file: string
  /** Where the (possibly compressed) data starts in that file. */
  readonly offset: number
  /** Bytes of (possibly compressed) data the file holds from `offset`. */
  readonly stored: number
  /** For compressed data, the compressed length the header declares (MetaImage CompressedDataSize), if any. */
  readonly declared: number | null
  readonly encoding: DataEncoding
  /**
   * Decompressed bytes that precede the pixel data in the stream (NIfTI .nii.gz compresses
   * its header and the pixel data together, so the stream holds `skip + dataBytes`).
   */
  readonly skip: number
}

/**
 * What a header says about its image, read without decoding a single pixel. Geometry follows
 * ITK: `size` and `spacing` list the image's axes, components are not an axis.
 */
export interface ImageHeader {
  readonly format: 'MetaImage' | 'NIfTI' | 'NRRD'
  readonly dimension: number
  readonly size: readonly number[]
  readonly spacing: readonly number[]
  readonly components: number
  /** The pixel type ITK reads the image as; null when the project reads no such type. */
  readonly componentType: ComponentType | null
  /** The file's own name for its pixel type (for messages). */
  readonly pixelType: string
  /** Product of `size`. */
  readonly voxels: number
  /** Bytes of pixel data the header declares (all voxels, components, in the stored type). */
  readonly dataBytes: number
  readonly data: DataLocation
  /** True when readMha's native path decodes the file; otherwise itk-wasm does. */
  readonly native: boolean
}

/** The first bytes of a file (fewer when the file is shorter). */
export async function readPrefix(file: string, length: number): Promise<Buffer> {
  const handle = await open(file, 'r').catch((err: NodeJS.ErrnoException) => {
    throw new ImageError(file, `cannot read file (${err.code ?? err.message})`)
  })
  try {
    const buffer = Buffer.alloc(length)
    const { bytesRead } = await handle.read(buffer, 0, length, 0)
    return buffer.subarray(0, bytesRead)
  } finally {
    await handle.close()
  }
}

export async function fileSize(file: string): Promise<number> {
  return (await stat(file)).size
}

/**
 * The path of a detached data file named in a header: a name relative to the header's
 * folder that stays inside it (no absolute path, no `..`), so a header cannot point the
 * reader at another file on the server.
 */
export async function detachedDataFile(headerFile: string, name: string): Promise<{ file: string; size: number }> {
  const parts = name.split(/[\\/]/)
  if (name === '' || isAbsolute(name) || /^[a-zA-Z]:/.test(name) || parts.some((p) => p === '..' || p === '')) {
    throw new ImageError(headerFile, `data file "${name}" must be a file next to the header (a relative name without "..")`)
  }
  const file = join(dirname(headerFile), ...parts)
  const size = await fileSize(file).catch(() => {
    throw new ImageError(headerFile, `cannot read its data file "${name}"`)
  })
  return { file, size }
}

/** The header's pixel type as ITK names it, for messages. */
export function describePixels(header: Pick<ImageHeader, 'size' | 'pixelType'>): string {
  return `${header.size.join('x')} ${header.pixelType}`
}

/** Product of the sizes, refusing sizes that are not positive integers. */
export function voxelCount(file: string, size: readonly number[]): number {
  if (size.length === 0 || !size.every((s) => Number.isSafeInteger(s) && s > 0)) {
    throw new ImageError(file, `cannot read image (invalid size ${size.join('x') || 'none'} in its header)`)
  }
  const voxels = size.reduce((a, b) => a * b, 1)
  if (!Number.isSafeInteger(voxels)) throw new ImageError(file, `cannot read image (size ${size.join('x')} in its header is too large)`)
  return voxels
}
