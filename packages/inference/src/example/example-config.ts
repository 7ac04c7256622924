import type { AlgorithmConfig } from '../config/algorithm-config-schema.ts'
import { EXAMPLE_INPUT_CHANNELS } from './feature-graph.ts'

/** Output channels of the example model, in order. */
export const EXAMPLE_CLASSES = ['background', 'vertebra', 'disc', 'canal'] as const

/**
 * The example algorithm's config. The synthetic generator's grids have y pointing up
 * (inferior → superior) with an identity direction, hence `superior: "+y"`.
 */
export const EXAMPLE_CONFIG: AlgorithmConfig = {
  schemaVersion: 1,
  name: 'spider-bench example (fixed features + two MLP stages, trained on synthetic data)',
  input: { name: 'image', channels: [...EXAMPLE_INPUT_CHANNELS], spacing: [4, 1.25, 1.25] },
  normalization: { kind: 'percentile-z-score', lower: 0.5, upper: 99.5 },
  slidingWindow: { patchSize: [24, 128, 128], overlap: 0.25, blending: 'gaussian' },
  output: { kind: 'logits', name: 'logits', channels: EXAMPLE_CLASSES.map((c) => ({ class: c })) },
  postprocessing: { connectivity: 6, minComponentVoxels: 150, vertebraSplitRadius: [1, 3, 3], superior: '+y' },
  executionProviders: ['cuda', 'cpu'],
}
