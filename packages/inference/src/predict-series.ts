import type { Image3D } from '@spider-bench/scoring'
import type { AlgorithmConfig, ChannelTarget } from './config/algorithm-config-schema.ts'
import { DEFAULT_SIGMA_SCALE } from './config/parse-algorithm-config.ts'
import { assignLabels, type Geometry } from './postprocess/assign-labels.ts'
import { argmaxChannels } from './postprocess/argmax.ts'
import { InferenceError } from './errors.ts'
import { modelInput } from './preprocess/model-input.ts'
import { resampleNearest } from './preprocess/resample.ts'
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

/** Output channel (or label value) → target, as an array indexed by the value the model emits. */
function targetTable(config: AlgorithmConfig, maxValue: number): (ChannelTarget | undefined)[] {
  const out = config.output
  if (out.kind !== 'labels') return [...out.channels]
  const table: (ChannelTarget | undefined)[] = []
  for (let v = 0; v <= maxValue; v++) table.push(out.values?.[String(v)] ?? (v === 0 ? undefined : { label: v }))
  return table
}

/** The model grid in patient space: same field of view and direction, voxels of the resampled size. */
function modelGridGeometry(image: Image3D, modelSize: readonly [number, number, number]): Geometry {
  const spacing = [0, 1, 2].map((a) => (image.spacing[a] * image.size[a]) / modelSize[a]) as [number, number, number]
  // Model voxel 0 sits at this continuous index of the native grid (align corners = false).
  const first = [0, 1, 2].map((a) => (0.5 * image.size[a]) / modelSize[a] - 0.5)
  const origin = [0, 1, 2].map(
    (r) => image.origin[r] + [0, 1, 2].reduce((s, c) => s + image.direction[3 * r + c] * image.spacing[c] * first[c], 0),
  ) as [number, number, number]
  return { size: modelSize, spacing, origin, direction: image.direction }
}

/**
 * Runs an algorithm on one series image and returns the predicted SPIDER mask in the
 * image's own geometry: resample → normalise → sliding window → arg-max → nearest-neighbour
 * back to the original grid → instance labels.
 */
export async function predictSeries(
  image: Image3D,
  sequence: string,
  config: AlgorithmConfig,
  model: PatchModel,
  timings?: StageTimings,
): Promise<Image3D> {
  const t: StageTimings = timings ?? { resample: 0, normalize: 0, slidingWindow: 0, onnx: 0, postprocess: 0 }
  const prepared = modelInput(image, sequence, config)
  const { block: input, size: modelSize } = prepared
  const target = config.input.spacing
  t.resample += prepared.resampleMs
  t.normalize += prepared.normalizeMs

  let t0 = performance.now()
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
  let maxValue = 0
  for (let v = 0; v < index.length; v++) if (index[v] > maxValue) maxValue = index[v]
  if (maxValue > 65535) throw new InferenceError('model-error', `label map value ${maxValue} exceeds 65535`)
  const pp = config.postprocessing
  // Instances are found on the (smaller) model grid, then carried back by nearest neighbour.
  const labels = assignLabels(index, targetTable(config, maxValue), modelGridGeometry(image, modelSize), {
    connectivity: pp?.connectivity ?? 6,
    minComponentVoxels: pp?.minComponentVoxels ?? 0,
    superior: pp?.superior ?? '+z',
    vertebraSplitRadius: pp?.vertebraSplitRadius ?? [0, 0, 0],
  })
  const mask = target ? resampleNearest(labels, modelSize, image.size, (n) => new Uint16Array(n)) : labels
  t.postprocess += performance.now() - t0
  return { size: image.size, spacing: image.spacing, origin: image.origin, direction: image.direction, componentType: 'uint16', data: mask }
}
