/**
 * Builders of the hostile inputs of SECURITY.md, shared by the security tests and
 * `npm run bench:security`. Each is generated on the fly (nothing binary is committed) and
 * costs the builder little: the bombs are streamed, never materialised.
 */
import { once } from 'node:events'
import { createDeflate, gzipSync } from 'node:zlib'
import type { Image3D } from '@spider-bench/scoring'

/** The series size of the label bomb in the threat model (x, y, z). */
export const SERIES_SIZE: readonly [number, number, number] = [17, 214, 214]

/**
 * A gzipped NIfTI-1 file that is only a header: it claims `dims` of float32 voxels (7.8 GB
 * for 2000³) and holds none. About 200 bytes.
 */
export function niftiHeaderBomb(dims: readonly [number, number, number]): Buffer {
  const h = Buffer.alloc(352)
  h.writeInt32LE(348, 0)
  h.writeInt16LE(3, 40)
  dims.forEach((d, i) => h.writeInt16LE(d, 42 + 2 * i))
  for (let i = 4; i < 8; i++) h.writeInt16LE(1, 40 + 2 * i)
  h.writeInt16LE(16, 70) // DT_FLOAT32
  h.writeInt16LE(32, 72)
  for (let i = 0; i < 4; i++) h.writeFloatLE(1, 76 + 4 * i)
  h.writeFloatLE(352, 108)
  h.write('n+1\0', 344, 'latin1')
  return gzipSync(h, { level: 9 })
}

/**
 * A compressed float32 MetaImage whose pixel data inflates to `bytes` of zeros (a multiple
 * of 4 MiB): about 1 MB for 1 GiB, and a few KB once the archive around it is gzipped too.
 */
export async function mhaInflateBomb(bytes: number): Promise<Buffer> {
  const voxels = bytes / 4
  const nz = voxels / (512 * 512)
  if (!Number.isInteger(nz)) throw new Error(`mhaInflateBomb: ${bytes} bytes is not a whole number of 512×512 float32 slices`)
  const deflate = createDeflate({ level: 9 })
  const parts: Buffer[] = []
  deflate.on('data', (c: Buffer) => parts.push(c))
  const chunk = Buffer.alloc(16 * 1024 * 1024)
  for (let left = bytes; left > 0; left -= chunk.length) {
    if (!deflate.write(left >= chunk.length ? chunk : chunk.subarray(0, left))) await once(deflate, 'drain')
  }
  deflate.end()
  await once(deflate, 'end')
  const data = Buffer.concat(parts)
  const header = [
    'ObjectType = Image',
    'NDims = 3',
    'BinaryData = True',
    'BinaryDataByteOrderMSB = False',
    'CompressedData = True',
    `CompressedDataSize = ${data.length}`,
    'ElementSpacing = 1 1 1',
    `DimSize = 512 512 ${nz}`,
    'ElementType = MET_FLOAT',
    'ElementDataFile = LOCAL',
    '',
  ].join('\n')
  return Buffer.concat([Buffer.from(header, 'latin1'), data])
}

/**
 * A valid-looking prediction of `size` with `labels` distinct labels of two voxels each,
 * at opposite corners of the volume: every label's bounding box is the whole volume.
 */
export function labelBombMask(size: readonly [number, number, number], labels: number): Image3D {
  const n = size[0] * size[1] * size[2]
  if (labels > 65_535 || 2 * labels > n) throw new Error(`labelBombMask: ${labels} labels do not fit in uint16 or in ${n} voxels`)
  const data = new Uint16Array(n)
  for (let k = 1; k <= labels; k++) {
    data[k - 1] = k
    data[n - k] = k
  }
  return { size, spacing: [1, 1, 1], origin: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1], componentType: 'uint16', data }
}
