import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { writeImage, type Image3D } from '@spider-bench/scoring'

export interface TestImageOptions {
  readonly size?: readonly [number, number, number]
  readonly spacing?: readonly [number, number, number]
  /** Mask voxel values: 'ok' (vertebrae 1-2, canal 100, disc 201), 'empty', or 'fractional' (float 1.5). */
  readonly labels?: 'ok' | 'empty' | 'fractional'
}

function maskImage(
  size: readonly [number, number, number],
  spacing: readonly [number, number, number],
  labels: TestImageOptions['labels'],
): Image3D {
  const [nx, ny, nz] = size
  const fractional = labels === 'fractional'
  const data = fractional ? new Float32Array(nx * ny * nz) : new Uint8Array(nx * ny * nz)
  if (labels !== 'empty') {
    for (let z = 0; z < nz; z++)
      for (let y = 0; y < ny; y++)
        for (let x = 0; x < nx; x++) {
          const i = x + nx * (y + ny * z)
          if (x < nx / 2) data[i] = y < ny / 3 ? 1 : y < (2 * ny) / 3 ? 201 : 2
          else if (x > nx / 2 + 1) data[i] = fractional ? 1.5 : 100
        }
  }
  return { size, spacing, origin: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1], componentType: fractional ? 'float32' : 'uint8', data }
}

/** The bytes of a small .mha image (a mask, or an MR-like image when `kind` is 'image'). */
export async function mhaBytes(kind: 'image' | 'mask', options: TestImageOptions = {}): Promise<Buffer> {
  const size = options.size ?? [12, 10, 4]
  const spacing = options.spacing ?? [1, 1, 3]
  const image: Image3D =
    kind === 'mask'
      ? maskImage(size, spacing, options.labels ?? 'ok')
      : {
          size,
          spacing,
          origin: [0, 0, 0],
          direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
          componentType: 'int16',
          data: Int16Array.from({ length: size[0] * size[1] * size[2] }, (_, i) => (i * 37) % 1000),
        }
  const dir = await mkdtemp(join(tmpdir(), 'mha-'))
  try {
    const file = join(dir, 'x.mha')
    await writeImage(image, file, { compress: false })
    return await readFile(file)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
