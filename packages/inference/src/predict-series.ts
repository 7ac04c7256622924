import type { Image3D } from '@spider-bench/scoring'
import type { AlgorithmConfig, ChannelTarget } from './config/algorithm-config-schema.ts'
import { DEFAULT_SIGMA_SCALE } from './config/parse-algorithm-config.ts'
import { assignLabels } from './postprocess/assign-labels.ts'
import { argmaxChannels } from './postprocess/argmax.ts'
import { InferenceError } from './errors.ts'
import { normalizeIntensities } from './preprocess/normalize.ts'
import { resampledSize, resampleLinear, resampleNearest } from './preprocess/resample.ts'
import type { Block, PatchModel } from './sliding-window/patch-model.ts'
import { slidingWindow } from './sliding-window/sliding-window.ts'

/** Milliseconds per stage; `onnx` is the time inside the model, the rest is ours. */
export interface StageTimings {
  resample: number
  normalize: number
  slidingWindow: number
  onnx: number
  postprocess: number
}

/** Builds the input channels: the normalised image, then 1/0 sequence indicator maps. */
function inputBlock(image: Float32Array, size: readonly [number, number, number], channels: AlgorithmConfig['input']['channels'], sequence: string): Block {
  const vol = image.length
  const data = new Float32Array(channels.length * vol)
  channels.forEach((ch, c) => {
    if (ch === 'image') data.set(image, c * vol)
    else if (ch.toLowerCase() === sequence.toLowerCase()) data.fill(1, c * vol, (c + 1) * vol)
  })
  return { size, channels: channels.length, data }
}

/** Output channel (or label value) → target, as an array indexed by the value the model emits. */
function targetTable(config: AlgorithmConfig, maxValue: number): (ChannelTarget | undefined)[] {
  const out = config.output
  if (out.kind !== 'labels') return [...out.channels]
  const table: (ChannelTarget | undefined)[] = []
  for (let v = 0; v <= maxValue; v++) table.push(out.values?.[String(v)] ?? (v === 0 ? undefined : { label: v }))
  return table
}

/**
 * Runs an algorithm on one series image and returns the predicted SPIDER mask in the
 * image's own geometry: resample → normalise → sliding window → arg-max → nearest-neighbour
 * back to the original grid → instance labels.
 */
export async function predictSeries(image: Image3D, sequence: string, config: AlgorithmConfig, model: PatchModel, timings?: StageTimings): Promise<Image3D> {
  const t: StageTimings = timings ?? { resample: 0, normalize: 0, slidingWindow: 0, onnx: 0, postprocess: 0 }
  let t0 = performance.now()
  const native = image.data instanceof Float32Array ? image.data : Float32Array.from(image.data)
  const target = config.input.spacing
  const modelSize = target ? resampledSize(image.size, image.spacing, target) : ([...image.size] as [number, number, number])
  const resampled = target ? resampleLinear(native, image.size, modelSize) : native
  t.resample += performance.now() - t0

  t0 = performance.now()
  const normalized = normalizeIntensities(resampled, config.normalization)
  const input = inputBlock(normalized, modelSize, config.input.channels, sequence)
  t.normalize += performance.now() - t0

  t0 = performance.now()
  const timedModel: PatchModel = {
    async run(data, dims) {
      const s = performance.now()
      try {
        return await model.run(data, dims)
      } finally {
        t.onnx += performance.now() - s
      }
    },
  }
  const onnxBefore = t.onnx
  const sw = config.slidingWindow
  const labelsOut = config.output.kind === 'labels'
  const result = await slidingWindow(input, timedModel, {
    patchSize: sw.patchSize,
    overlap: sw.overlap,
    blending: sw.blending,
    sigmaScale: sw.sigmaScale ?? DEFAULT_SIGMA_SCALE,
    border: sw.border ?? [0, 0, 0],
    mirrorAxes: config.mirroring?.axes ?? [],
    outChannels: config.output.kind === 'labels' ? 1 : config.output.channels.length,
    mode: labelsOut ? 'labels' : 'average',
  })
  t.slidingWindow += performance.now() - t0 - (t.onnx - onnxBefore)

  t0 = performance.now()
  let index: Int32Array
  if (result.data instanceof Int32Array) {
    index = result.data
    for (let v = 0; v < index.length; v++) if (index[v] < 0) index[v] = 0
  } else {
    index = argmaxChannels(result as Block<Float32Array>)
  }
  const back = target ? resampleNearest(index, modelSize, image.size, (n) => new Int32Array(n)) : index
  let maxValue = 0
  for (let v = 0; v < back.length; v++) if (back[v] > maxValue) maxValue = back[v]
  if (maxValue > 65535) throw new InferenceError('model-error', `label map value ${maxValue} exceeds 65535`)
  const pp = config.postprocessing
  const mask = assignLabels(back, targetTable(config, maxValue), image, {
    connectivity: pp?.connectivity ?? 6,
    minComponentVoxels: pp?.minComponentVoxels ?? 0,
  })
  t.postprocess += performance.now() - t0
  return { size: image.size, spacing: image.spacing, origin: image.origin, direction: image.direction, componentType: 'uint16', data: mask }
}
