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
 * Reads a 3D scalar image (MetaImage, NIfTI, NRRD). Plain little-endian .mha files take the
 * fast native path (identical results, see read-mha.test.ts); everything else goes through itk-wasm.
 */
export async function readImage(file: string): Promise<Image3D> {
  if (file.toLowerCase().endsWith('.mha')) {
    const fast = await readMha(file)
    if (fast) return fast
  }
  return readImageItk(file)
}

/** Reads a 3D scalar image through itk-wasm (every format it supports). */
export async function readImageItk(file: string): Promise<Image3D> {
  // Loaded on first use: most reads take the native .mha path, and every scoring worker
  // thread would otherwise pay for loading itk-wasm at start-up.
  const { readImageNode } = await import('@itk-wasm/image-io')
  let img
  try {
    img = await readImageNode(file)
  } catch (err) {
    throw new ImageError(file, `cannot read image (${(err as Error).message || 'corrupt or unsupported file'})`)
  }
  const dim = img.imageType.dimension
  if (dim !== 3) throw new ImageError(file, `expected a 3D image, got ${dim}D`)
  if (img.imageType.components !== 1) throw new ImageError(file, `expected a scalar image, got ${img.imageType.components} components per pixel`)
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
