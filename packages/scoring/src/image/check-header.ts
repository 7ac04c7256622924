import { describePixels, type ImageHeader } from './header.ts'
import { ImageError } from './types.ts'

/** What an image must satisfy before any of its pixels is decoded. */
export interface ImageLimits {
  /** Refuse unless the image has exactly this size (a prediction: its test series' size). */
  readonly expectedSize?: readonly number[]
  /** The problem reported for a size other than `expectedSize` (default: "size AxBxC differs from the expected size DxExF"). */
  readonly sizeProblem?: (size: readonly number[], expected: readonly number[]) => string
  /** Refuse images with more voxels than this (uploads of test sets). */
  readonly maxVoxels?: number
}

/**
 * The most a deflate stream can expand: a length/distance pair costs at least 2 bits and
 * yields at most 258 bytes, so n compressed bytes inflate to at most 1032 n.
 */
export const MAX_INFLATE_RATIO = 1032

/** The largest size zlib's deflate can give n bytes (compressBound), plus room for a gzip header. */
export function compressedBound(n: number): number {
  return n + Math.floor(n / 4096) + Math.floor(n / 16384) + Math.floor(n / 33554432) + 13 + 64 * 1024
}

/**
 * Checks a header against the limits and against itself, before any pixel is decoded:
 * a 3D scalar image of a supported pixel type, within `maxVoxels`, of `expectedSize`, whose
 * stored data has the length its dimensions need (raw data: exactly; compressed data: a
 * length some deflate stream of that many bytes could have). Throws ImageError naming `file`.
 */
export function checkImageHeader(header: ImageHeader, file: string, limits: ImageLimits = {}): void {
  const fail = (problem: string) => new ImageError(file, problem)
  if (header.dimension !== 3) throw fail(`expected a 3D image, got ${header.dimension}D`)
  if (header.components !== 1) throw fail(`expected a scalar image, got ${header.components} components per pixel`)
  if (header.componentType === null) throw fail(`unsupported pixel type ${header.pixelType}`)
  if (limits.maxVoxels !== undefined && header.voxels > limits.maxVoxels) {
    throw fail(`size ${header.size.join('x')} is ${header.voxels} voxels, more than the ${limits.maxVoxels} allowed`)
  }
  const expected = limits.expectedSize
  if (expected && (expected.length !== header.size.length || expected.some((v, i) => v !== header.size[i]))) {
    throw fail(
      limits.sizeProblem
        ? limits.sizeProblem(header.size, expected)
        : `size ${header.size.join('x')} differs from the expected size ${expected.join('x')}`,
    )
  }
  const { data, dataBytes } = header
  const what = describePixels(header)
  if (data.encoding === 'raw') {
    if (data.stored < dataBytes) throw fail(`truncated file: pixel data needs ${dataBytes} bytes, the file holds ${data.stored}`)
    if (data.stored > dataBytes)
      throw fail(`the file holds ${data.stored} bytes of pixel data, but its header declares ${what} (${dataBytes} bytes)`)
    return
  }
  if (data.declared !== null) {
    if (data.declared > data.stored)
      throw fail(`truncated file: compressed data needs ${data.declared} bytes, the file holds ${data.stored}`)
    if (data.declared < data.stored)
      throw fail(`the file holds ${data.stored} bytes of compressed data, but its header declares ${data.declared} (CompressedDataSize)`)
  }
  const inflated = data.skip + dataBytes
  if (data.stored > compressedBound(inflated)) {
    throw fail(
      `the file holds ${data.stored} bytes of compressed data, ` +
        `more than any compression of the ${dataBytes} bytes its header declares (${what})`,
    )
  }
  if (inflated > MAX_INFLATE_RATIO * data.stored + 1024) {
    throw fail(
      `the file holds ${data.stored} bytes of compressed data, ` +
        `too few to decompress to the ${dataBytes} bytes its header declares (${what})`,
    )
  }
}
