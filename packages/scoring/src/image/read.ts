import { basename, dirname } from 'node:path'
import { inflateBounded } from './bounded-inflate.ts'
import { checkImageHeader, type ImageLimits } from './check-header.ts'
import type { ImageHeader } from './header.ts'
import { readImageHeader } from './read-header.ts'
import { COMPONENT_TYPES, ImageError, type ComponentType, type Image3D, type PixelArray } from './types.ts'
import { readMha } from './read-mha.ts'

/** Extensions the readers accept, longest first so `.nii.gz` wins over `.gz`. */
export const IMAGE_EXTENSIONS = ['.nii.gz', '.mha', '.mhd', '.nii', '.nrrd', '.nhdr'] as const

/** The base name of an image file without its image extension, or null when not an image. */
export function imageBaseName(fileName: string): string | null {
  const lower = fileName.toLowerCase()
  for (const ext of IMAGE_EXTENSIONS) {
    if (lower.endsWith(ext) && fileName.length > ext.length) return fileName.slice(0, -ext.length)
  }
  return null
}

/**
 * Reads a 3D scalar image (MetaImage, NIfTI, NRRD), header first: the header is read and
 * checked (checkImageHeader: 3D, scalar, `limits`, a data length that fits the dimensions)
 * before any pixel is decoded, and compressed data is inflated with an output bound of the
 * size the header declares. Plain little-endian .mha files take the fast native path
 * (identical results, see read-mha.test.ts); everything else goes through itk-wasm, which
 * only sees files that passed these checks.
 */
export async function readImage(file: string, limits: ImageLimits = {}): Promise<Image3D> {
  const header = await readImageHeader(file)
  checkImageHeader(header, file, limits)
  if (header.native) {
    const fast = await readMha(file)
    if (fast) return fast
  }
  if (header.data.encoding !== 'raw') await checkInflatedLength(header, file)
  const image = await readImageItk(file)
  if (image.size.some((v, i) => v !== header.size[i])) {
    throw new ImageError(
      file,
      `cannot read image (it decodes to size ${image.size.join('x')}, its header declares ${header.size.join('x')})`,
    )
  }
  return image
}

/**
 * Streams the compressed data through zlib with a budget of what the header declares, so a
 * stream that inflates to more (a bomb) or less is refused before itk-wasm decodes it.
 */
async function checkInflatedLength(header: ImageHeader, file: string): Promise<void> {
  const { data, dataBytes } = header
  const expected = data.skip + dataBytes
  let produced: number
  try {
    ;({ produced } = await inflateBounded(data.file, {
      start: data.offset,
      length: data.declared ?? data.stored,
      encoding: data.encoding === 'zlib' ? 'zlib' : 'gzip',
      keep: 0,
      limit: expected,
    }))
  } catch (err) {
    throw new ImageError(file, `corrupt compressed data (${(err as Error).message})`)
  }
  if (produced > expected) throw new ImageError(file, `compressed data decompresses to more than the ${expected} bytes its header declares`)
  if (produced < expected)
    throw new ImageError(file, `corrupt compressed data: ${produced} bytes after decompression, expected ${expected}`)
}

/**
 * Decodes a 3D scalar image with itk-wasm (every format it supports), without readImage's
 * header checks: for files the caller trusts (tests compare the native readers with it).
 */
export async function readImageItk(file: string): Promise<Image3D> {
  // Loaded on first use: most reads take the native .mha path, and every scoring worker
  // thread would otherwise pay for loading itk-wasm at start-up.
  const { readImageNode } = await import('@itk-wasm/image-io')
  let img
  try {
    img = await readImageNode(file)
  } catch (err) {
    // itk-wasm's messages carry the absolute path; the caller names the file already.
    const message = ((err as Error).message || 'corrupt or unsupported file')
      .split(file)
      .join(basename(file))
      .split(dirname(file))
      .join('.')
    throw new ImageError(file, `cannot read image (${message})`)
  }
  const dim = img.imageType.dimension
  if (dim !== 3) throw new ImageError(file, `expected a 3D image, got ${dim}D`)
  if (img.imageType.components !== 1)
    throw new ImageError(file, `expected a scalar image, got ${img.imageType.components} components per pixel`)
  const componentType = img.imageType.componentType as ComponentType
  if (!COMPONENT_TYPES.includes(componentType)) throw new ImageError(file, `unsupported pixel type ${img.imageType.componentType}`)
  if (!img.data) throw new ImageError(file, 'image has no pixel data')
  return {
    size: [img.size[0], img.size[1], img.size[2]],
    spacing: [img.spacing[0], img.spacing[1], img.spacing[2]],
    origin: [img.origin[0], img.origin[1], img.origin[2]],
    direction: Array.from(img.direction as Float64Array),
    componentType,
    data: img.data as PixelArray,
  }
}
