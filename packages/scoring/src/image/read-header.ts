import { basename } from 'node:path'
import type { ImageHeader } from './header.ts'
import { readMetaImageHeader } from './header-metaimage.ts'
import { readNiftiHeader } from './header-nifti.ts'
import { readNrrdHeader } from './header-nrrd.ts'
import { ImageError } from './types.ts'

/**
 * Reads the header of a .mha/.mhd, .nii/.nii.gz or .nrrd/.nhdr image without decoding any
 * pixel: for .nii.gz only the first bytes of the stream are decompressed. Throws ImageError
 * (naming the file) when the header is missing or malformed.
 */
export async function readImageHeader(file: string): Promise<ImageHeader> {
  const lower = basename(file).toLowerCase()
  if (lower.endsWith('.mha') || lower.endsWith('.mhd')) return readMetaImageHeader(file)
  if (lower.endsWith('.nii') || lower.endsWith('.nii.gz')) return readNiftiHeader(file, lower.endsWith('.gz'))
  if (lower.endsWith('.nrrd') || lower.endsWith('.nhdr')) return readNrrdHeader(file)
  throw new ImageError(file, 'cannot read image (unknown format: expected .mha, .mhd, .nii, .nii.gz, .nrrd or .nhdr)')
}
