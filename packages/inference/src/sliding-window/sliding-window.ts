import { InferenceError } from '../errors.ts'
import { flipBlock, mirrorCombinations } from './flip.ts'
import { gaussianProfile, patchStarts } from './gaussian.ts'
import type { Block, OutputArray, PatchModel } from './patch-model.ts'

export interface SlidingWindowOptions {
  /** Patch size in voxels, ITK order (x, y, z). */
  readonly patchSize: readonly [number, number, number]
  readonly overlap: number
  readonly blending: 'gaussian' | 'constant'
  readonly sigmaScale: number
  /** Voxels at inner patch faces that get zero weight, ITK order; 0 = none. */
  readonly border: readonly [number, number, number]
  readonly mirrorAxes: readonly ('x' | 'y' | 'z')[]
  /** Number of output channels the model must produce. */
  readonly outChannels: number
  /** `average`: weighted mean of class scores; `labels`: each voxel takes the label of its highest-weight patch. */
  readonly mode: 'average' | 'labels'
}

const AXIS = ['x', 'y', 'z'] as const

/** Copies the block into a larger zero-filled one, centred (nnU-Net pads small images). */
function padBlock(src: Block, size: readonly [number, number, number], offset: readonly [number, number, number]): Block {
  const [X, Y, Z] = src.size
  const [PX, PY] = size
  const data = new Float32Array(src.channels * size[0] * size[1] * size[2])
  for (let c = 0; c < src.channels; c++) {
    for (let z = 0; z < Z; z++) {
      for (let y = 0; y < Y; y++) {
        const s = ((c * Z + z) * Y + y) * X
        const d = ((c * size[2] + z + offset[2]) * PY + y + offset[1]) * PX + offset[0]
        data.set(src.data.subarray(s, s + X), d)
      }
    }
  }
  return { size, channels: src.channels, data }
}

function cropBlock<T extends Float32Array | Int32Array>(
  src: Block<T>,
  size: readonly [number, number, number],
  offset: readonly [number, number, number],
  make: (n: number) => T,
): Block<T> {
  const [PX, PY, PZ] = src.size
  const [X, Y, Z] = size
  const data = make(src.channels * X * Y * Z)
  for (let c = 0; c < src.channels; c++) {
    for (let z = 0; z < Z; z++) {
      for (let y = 0; y < Y; y++) {
        const s = ((c * PZ + z + offset[2]) * PY + y + offset[1]) * PX + offset[0]
        const d = ((c * Z + z) * Y + y) * X
        data.set(src.data.subarray(s, s + X), d)
      }
    }
  }
  return { size, channels: src.channels, data }
}

function checkOutput(out: { data: OutputArray; dims: readonly number[] }, expected: readonly number[]): void {
  const same = out.dims.length === expected.length && out.dims.every((d, i) => d === expected[i])
  if (!same) {
    throw new InferenceError(
      'output-shape-mismatch',
      `model output has dims [${out.dims.join(', ')}], expected [${expected.join(', ')}] for an input patch`,
    )
  }
}

function toFloat32(data: OutputArray): Float32Array {
  if (data instanceof Float32Array) return data
  const out = new Float32Array(data.length)
  for (let i = 0; i < data.length; i++) out[i] = Number(data[i])
  return out
}

function assertFinite(data: Float32Array): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]))
      throw new InferenceError('non-finite-output', `model output value ${data[i]} at flat index ${i} of a patch`)
  }
}

/**
 * Sliding-window inference: tiles the volume with overlapping patches, runs the model on
 * each (and on its mirrored copies), and blends the outputs with per-voxel weights. In
 * `average` mode the result is the weighted mean of the outputs (nnU-Net); in `labels` mode
 * each voxel keeps the label of the patch that weighs most there. Returns the output block
 * at the input size.
 */
export async function slidingWindow(
  input: Block,
  model: PatchModel,
  opts: SlidingWindowOptions,
): Promise<Block<Float32Array> | Block<Int32Array>> {
  const size = [0, 1, 2].map((a) => Math.max(input.size[a], opts.patchSize[a])) as [number, number, number]
  const offset = [0, 1, 2].map((a) => Math.floor((size[a] - input.size[a]) / 2)) as [number, number, number]
  const padded = size.every((s, a) => s === input.size[a]) ? input : padBlock(input, size, offset)
  const [X, Y, Z] = size
  const [px, py, pz] = opts.patchSize
  const K = opts.outChannels
  const C = input.channels
  const vol = X * Y * Z
  const pvol = px * py * pz

  const base = AXIS.map((_, a) =>
    opts.blending === 'gaussian' ? gaussianProfile(opts.patchSize[a], opts.sigmaScale) : new Float32Array(opts.patchSize[a]).fill(1),
  )
  const starts = AXIS.map((_, a) =>
    patchStarts(size[a], opts.patchSize[a], Math.max(1, Math.floor(opts.patchSize[a] * (1 - opts.overlap)))),
  )
  /** The axis profile of a patch at `start`, with zero weight on faces that lie inside the volume. */
  const profile = (a: number, start: number): Float32Array => {
    const w = base[a].slice()
    const b = opts.border[a]
    if (b > 0 && start > 0) w.fill(0, 0, b)
    if (b > 0 && start + opts.patchSize[a] < size[a]) w.fill(0, opts.patchSize[a] - b)
    return w
  }

  const averaging = opts.mode === 'average'
  const acc = averaging ? new Float32Array(K * vol) : new Int32Array(vol)
  const weight = new Float32Array(vol)
  const patch = new Float32Array(C * pvol)
  const rowWeight = new Float32Array(px)
  const mirrors = averaging ? mirrorCombinations(opts.mirrorAxes) : [new Set<'x' | 'y' | 'z'>()]
  const expected = [1, K, pz, py, px]

  for (const z0 of starts[2]) {
    const wz = profile(2, z0)
    for (const y0 of starts[1]) {
      const wy = profile(1, y0)
      for (const x0 of starts[0]) {
        const wx = profile(0, x0)
        for (let c = 0; c < C; c++) {
          for (let z = 0; z < pz; z++) {
            for (let y = 0; y < py; y++) {
              const s = ((c * Z + z0 + z) * Y + y0 + y) * X + x0
              patch.set(padded.data.subarray(s, s + px), ((c * pz + z) * py + y) * px)
            }
          }
        }
        let out: Float32Array | null = null
        for (const axes of mirrors) {
          const fed = axes.size === 0 ? patch : flipBlock(patch, C, [pz, py, px], axes)
          const res = await model.run(fed, [1, C, pz, py, px])
          checkOutput(res, expected)
          let data = toFloat32(res.data)
          if (averaging) assertFinite(data)
          if (axes.size > 0) data = flipBlock(data, K, [pz, py, px], axes)
          if (!out) out = mirrors.length > 1 ? data.slice() : data
          else for (let i = 0; i < out.length; i++) out[i] += data[i]
        }
        if (!out) continue
        const scale = 1 / mirrors.length
        for (let z = 0; z < pz; z++) {
          for (let y = 0; y < py; y++) {
            const wzy = wz[z] * wy[y]
            if (wzy === 0) continue
            const row = ((z0 + z) * Y + y0 + y) * X + x0
            const prow = (z * py + y) * px
            if (averaging) {
              // One row of weights, shared by the weight sum and every channel.
              for (let x = 0; x < px; x++) {
                const w = wzy * wx[x]
                weight[row + x] += w
                rowWeight[x] = w * scale
              }
              for (let k = 0; k < K; k++) {
                const a = k * vol + row
                const o = k * pvol + prow
                for (let x = 0; x < px; x++) acc[a + x] += out[o + x] * rowWeight[x]
              }
              continue
            }
            for (let x = 0; x < px; x++) {
              const w = wzy * wx[x]
              if (w === 0 || w <= weight[row + x]) continue
              const label = out[prow + x]
              if (!Number.isFinite(label)) throw new InferenceError('non-finite-output', `model label output ${label} is not a number`)
              weight[row + x] = w
              acc[row + x] = Math.round(label)
            }
          }
        }
      }
    }
  }
  for (let v = 0; v < vol; v++) {
    if (!(weight[v] > 0)) throw new RangeError(`sliding window left voxel ${v} without weight (border too wide for the overlap)`)
  }
  if (averaging) {
    const a = acc as Float32Array
    if (padded === input) {
      for (let k = 0; k < K; k++) for (let v = 0; v < vol; v++) a[k * vol + v] /= weight[v]
      return { size, channels: K, data: a }
    }
    // Normalise only the voxels kept, while cropping.
    const [IX, IY, IZ] = input.size
    const out = new Float32Array(K * IX * IY * IZ)
    let d = 0
    for (let k = 0; k < K; k++) {
      for (let z = 0; z < IZ; z++) {
        for (let y = 0; y < IY; y++) {
          const row = ((z + offset[2]) * Y + y + offset[1]) * X + offset[0]
          for (let x = 0; x < IX; x++) out[d++] = a[k * vol + row + x] / weight[row + x]
        }
      }
    }
    return { size: input.size, channels: K, data: out }
  }
  const full: Block<Int32Array> = { size, channels: 1, data: acc as Int32Array }
  return padded === input ? full : cropBlock(full, input.size, offset, (n) => new Int32Array(n))
}
