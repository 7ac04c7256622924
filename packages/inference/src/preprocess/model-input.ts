import type { Image3D } from '@spider-bench/scoring'
import type { AlgorithmConfig } from '../config/algorithm-config-schema.ts'
import type { Block } from '../sliding-window/patch-model.ts'
import { normalizeIntensities } from './normalize.ts'
import { resampledSize, resampleLinear } from './resample.ts'

export interface ModelInput {
  /** The input channels on the model grid. */
  readonly block: Block
  /** Model grid size (x, y, z). */
  readonly size: [number, number, number]
  readonly resampleMs: number
  readonly normalizeMs: number
}

/**
 * An image as the model sees it: resampled to the config's spacing (trilinear), normalised,
 * then stacked with the sequence indicator channels (1 where the series is of that sequence).
 * Training code uses the same function, so training and inference cannot drift apart.
 */
export function modelInput(image: Image3D, sequence: string, config: Pick<AlgorithmConfig, 'input' | 'normalization'>): ModelInput {
  let t0 = performance.now()
  const native = image.data instanceof Float32Array ? image.data : Float32Array.from(image.data)
  const target = config.input.spacing
  const size = target ? resampledSize(image.size, image.spacing, target) : ([...image.size] as [number, number, number])
  const resampled = target ? resampleLinear(native, image.size, size) : native
  const resampleMs = performance.now() - t0
  t0 = performance.now()
  const normalized = normalizeIntensities(resampled, config.normalization)
  const channels = config.input.channels
  const vol = normalized.length
  const data = new Float32Array(channels.length * vol)
  channels.forEach((ch, c) => {
    if (ch === 'image') data.set(normalized, c * vol)
    else if (ch.toLowerCase() === sequence.toLowerCase()) data.fill(1, c * vol, (c + 1) * vol)
  })
  return { block: { size, channels: channels.length, data }, size, resampleMs, normalizeMs: performance.now() - t0 }
}
