import { describe, expect, it } from 'vitest'
import * as ort from 'onnxruntime-node'
import { InferenceError } from '../errors.ts'
import { encodeConvNet } from '../onnx/conv-net.ts'
import { sessionPatchModel } from '../onnx/session.ts'
import { seededRandom } from '@spider-bench/random'
import { randomLayer } from '../testing/reference-conv.ts'
import type { PatchModel } from './patch-model.ts'
import { slidingWindow, type SlidingWindowOptions } from './sliding-window.ts'

const base: SlidingWindowOptions = {
  patchSize: [8, 8, 8],
  overlap: 0.5,
  blending: 'gaussian',
  sigmaScale: 0.125,
  border: [0, 0, 0],
  mirrorAxes: [],
  outChannels: 1,
  mode: 'average',
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length)
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]))
  return m
}

/** A JS model mapping each patch through `f(input, dims)`. */
function jsModel(f: (input: Float32Array, dims: readonly number[]) => { data: Float32Array; dims: number[] }): PatchModel {
  return { run: async (input, dims) => f(input, dims) }
}

describe('sliding-window inference', () => {
  it('equals whole-volume inference for a conv model whose receptive field fits in the overlap (onnxruntime)', async () => {
    const rand = seededRandom(11, -1, 1)
    // Two 3x3x3 layers: receptive radius 2 voxels per axis.
    const layers = [randomLayer(rand, 2, 4, [3, 3, 3], 'relu'), randomLayer(rand, 4, 3, [3, 3, 3], 'none')]
    const session = await ort.InferenceSession.create(encodeConvNet({ name: 'rf2', inChannels: 2, layers }))
    const model = sessionPatchModel(session, 'image', 'scores')
    const size = [21, 17, 10] as const
    const vol = size[0] * size[1] * size[2]
    const input = { size, channels: 2, data: Float32Array.from({ length: 2 * vol }, () => rand()) }
    const whole = await model.run(input.data, [1, 2, size[2], size[1], size[0]])

    // Step floor(8 x 0.5) = 4 = patch 8 - 2 x border 2: every voxel is inside some patch's valid core.
    const sw = await slidingWindow(input, model, { ...base, outChannels: 3, border: [2, 2, 2] })
    expect(sw.size).toEqual(size)
    expect(sw.channels).toBe(3)
    expect(maxAbsDiff(sw.data, whole.data as Float32Array)).toBeLessThan(1e-5)

    // Without the border the patch edges (zero padding inside the volume) leak into the blend.
    const leaky = await slidingWindow(input, model, { ...base, outChannels: 3 })
    expect(maxAbsDiff(leaky.data, whole.data as Float32Array)).toBeGreaterThan(1e-3)
    await session.release()
  })

  it('pads a volume smaller than the patch with zeros, like a single convolution pads its input', async () => {
    const rand = seededRandom(12, -1, 1)
    const session = await ort.InferenceSession.create(
      encodeConvNet({ name: 'rf1', inChannels: 1, layers: [randomLayer(rand, 1, 2, [3, 3, 3], 'none')] }),
    )
    const model = sessionPatchModel(session, 'image', 'scores')
    const size = [5, 12, 3] as const
    const input = { size, channels: 1, data: Float32Array.from({ length: 5 * 12 * 3 }, () => rand()) }
    const whole = await model.run(input.data, [1, 1, 3, 12, 5])
    const sw = await slidingWindow(input, model, { ...base, outChannels: 2, border: [1, 1, 1] })
    expect(sw.size).toEqual(size)
    expect(maxAbsDiff(sw.data, whole.data as Float32Array)).toBeLessThan(1e-5)
    await session.release()
  })

  it('mirroring maps each flipped output back before averaging', async () => {
    // Output = the x coordinate inside the patch: not mirror-invariant. Averaging it with its
    // flipped-back copy over x gives (px - 1) / 2 everywhere; over y alone it stays the ramp.
    const ramp = jsModel((input, dims) => {
      const [, , pz, py, px] = dims
      const data = new Float32Array(pz * py * px)
      for (let i = 0; i < data.length; i++) data[i] = i % px
      return { data, dims: [1, 1, pz, py, px] }
    })
    const input = { size: [8, 8, 8] as const, channels: 1, data: new Float32Array(512) }
    const mx = await slidingWindow(input, ramp, { ...base, mirrorAxes: ['x'] })
    for (const v of mx.data) expect(v).toBeCloseTo(3.5, 5)
    const my = await slidingWindow(input, ramp, { ...base, mirrorAxes: ['y'] })
    for (let i = 0; i < 512; i++) expect(my.data[i]).toBeCloseTo(i % 8, 5)
  })

  it('labels mode keeps the label of the heaviest patch at each voxel', async () => {
    const round = jsModel((input, dims) => ({ data: input.map((v) => Math.round(v * 10)), dims: [1, 1, dims[2], dims[3], dims[4]] }))
    const rand = seededRandom(5, -1, 1)
    const input = { size: [13, 9, 11] as const, channels: 1, data: Float32Array.from({ length: 13 * 9 * 11 }, () => rand()) }
    const out = await slidingWindow(input, round, { ...base, mode: 'labels' })
    expect(out.data).toBeInstanceOf(Int32Array)
    expect(Array.from(out.data)).toEqual(Array.from(input.data, (v) => Math.round(v * 10) + 0))
  })

  it('reports a wrong output shape and non-finite outputs with their codes', async () => {
    const input = { size: [8, 8, 8] as const, channels: 1, data: new Float32Array(512) }
    const short = jsModel((_i, dims) => ({ data: new Float32Array(2 * 8 * 8 * 7), dims: [1, 2, dims[2], dims[3], 7] }))
    const err = await slidingWindow(input, short, { ...base, outChannels: 2 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(InferenceError)
    expect((err as InferenceError).code).toBe('output-shape-mismatch')
    expect((err as InferenceError).message).toBe('model output has dims [1, 2, 8, 8, 7], expected [1, 2, 8, 8, 8] for an input patch')
    expect((err as InferenceError).reportFor('hidden')).toBe(
      'output-shape-mismatch: the model output does not have the shape the config declares',
    )

    const nan = jsModel((_i, dims) => ({ data: new Float32Array(512).fill(NaN), dims: [1, 1, dims[2], dims[3], dims[4]] }))
    const err2 = await slidingWindow(input, nan, base).catch((e: unknown) => e)
    expect((err2 as InferenceError).code).toBe('non-finite-output')
  })
})
