import * as ort from 'onnxruntime-node'
import type { Image3D } from '@spider-bench/scoring'
import { generateSeries, type Sequence } from '@spider-bench/synth'
import { encodeModel } from '../onnx/model-proto.ts'
import { modelInput } from '../preprocess/model-input.ts'
import { resampleNearest } from '../preprocess/resample.ts'
import { seededRandom } from '@spider-bench/random'
import { EXAMPLE_CLASSES, EXAMPLE_CONFIG } from './example-config.ts'
import { contextFeatures, GraphBuilder, imageFeatures } from './feature-graph.ts'
import { trainMlp, type DenseLayer } from './mlp.ts'

export interface ExampleTrainingOptions {
  /** Seed of the synthetic training studies (kept apart from the generator's default test seed 1). */
  readonly seed?: number
  readonly studies?: number
  /** Voxels sampled per class and series. */
  readonly samplesPerClass?: number
  readonly epochs?: number
  readonly hidden?: readonly number[]
  readonly onProgress?: (message: string) => void
}

export const DEFAULT_TRAINING = { seed: 9001, studies: 6, samplesPerClass: 3000, epochs: 8, hidden: [32, 32] } as const

/** Class index of a SPIDER reference label: partial vertebrae (101-200) look like vertebrae. */
function classOf(label: number): number {
  if (label === 0) return 0
  if (label === 100) return 3
  if (label > 200) return 2
  return 1
}

const CLASSES = EXAMPLE_CLASSES.length
const IN_CHANNELS = EXAMPLE_CONFIG.input.channels.length

/**
 * The example model graph. Without `stage2`: outputs the features of the stage to be trained
 * next (stage-1 features, or stage-2 features when `stage1` is given); with both: the final
 * model, output "logits" [1, 4, z, y, x].
 */
export function exampleGraph(stage1?: readonly DenseLayer[], stage2?: readonly DenseLayer[], docString?: string): Uint8Array {
  const b = new GraphBuilder()
  const f1 = imageFeatures(b, 'image')
  let output = f1
  if (stage1) {
    b.softmax(b.mlp(f1.name, 'logits1', stage1, 'mlp1'), 'probs1')
    output = contextFeatures(b, 'probs1', CLASSES, f1)
    if (stage2) output = { name: b.mlp(output.name, 'logits', stage2, 'mlp2'), channels: CLASSES }
  }
  return encodeModel({
    name: 'spider-bench-example',
    docString,
    inputs: [{ name: 'image', elemType: 'float32', shape: [1, IN_CHANNELS, 'z', 'y', 'x'] }],
    outputs: [{ name: output.name, elemType: 'float32', shape: [1, output.channels, 'z', 'y', 'x'] }],
    nodes: b.nodes,
    initializers: b.initializers,
  })
}

interface Volume {
  readonly input: Float32Array
  readonly size: readonly [number, number, number]
  readonly classes: Uint8Array
}

/** Voxel class counts of all volumes (for the prior correction). */
function classCounts(volumes: readonly Volume[]): number[] {
  const counts = new Array<number>(CLASSES).fill(0)
  for (const v of volumes) for (const c of v.classes) counts[c]++
  return counts
}

/**
 * Trains one stage: computes the stage's features on every volume with onnxruntime (the
 * very graph that will be shipped), samples `perClass` voxels per class and volume, fits the
 * MLP, then shifts the output biases by log(true prior / sampled prior) so that class-balanced
 * sampling does not inflate the rare classes.
 */
async function trainStage(
  graph: Uint8Array,
  volumes: readonly Volume[],
  options: Required<Omit<ExampleTrainingOptions, 'onProgress' | 'studies'>>,
  log: (m: string) => void,
  stage: number,
): Promise<DenseLayer[]> {
  const session = await ort.InferenceSession.create(graph)
  const outputName = session.outputNames[0]
  const rand = seededRandom(options.seed + stage, -1, 1)
  const xs: number[] = []
  const ys: number[] = []
  let F = 0
  for (const vol of volumes) {
    const [X, Y, Z] = vol.size
    const n = X * Y * Z
    const out = await session.run({ image: new ort.Tensor('float32', vol.input, [1, IN_CHANNELS, Z, Y, X]) })
    const features = out[outputName].data as Float32Array
    F = features.length / n
    const byClass: number[][] = EXAMPLE_CLASSES.map(() => [])
    for (let v = 0; v < n; v++) byClass[vol.classes[v]].push(v)
    byClass.forEach((voxels, c) => {
      for (let i = 0; i < Math.min(options.samplesPerClass, voxels.length); i++) {
        const v = voxels[Math.floor(((rand() + 1) / 2) * voxels.length)]
        for (let f = 0; f < F; f++) xs.push(features[f * n + v])
        ys.push(c)
      }
    })
  }
  await session.release()
  log(`stage ${stage}: ${ys.length} samples of ${F} features`)
  const layers = trainMlp(
    { x: Float32Array.from(xs), y: Uint8Array.from(ys), features: F, classes: CLASSES },
    {
      hidden: options.hidden,
      epochs: options.epochs,
      batch: 64,
      learningRate: 2e-3,
      seed: options.seed + stage,
      onEpoch: (e, loss, acc) => log(`stage ${stage} epoch ${e + 1}: loss ${loss.toFixed(4)}, accuracy ${(acc * 100).toFixed(1)} %`),
    },
  )
  const counts = classCounts(volumes)
  const total = counts.reduce((a, b) => a + b, 0)
  const last = layers[layers.length - 1]
  for (let c = 0; c < CLASSES; c++) {
    const sampled = ys.filter((y) => y === c).length
    last.bias[c] += Math.log(counts[c] / total) - Math.log(sampled / ys.length)
  }
  return layers
}

/**
 * Fits the example algorithm on synthetic studies generated with a fixed seed (all three
 * sequences per study), in two stages: stage 1 classifies voxels from fixed image features,
 * stage 2 (auto-context) from those plus the smoothed and shifted stage-1 probabilities.
 * Deterministic: the same options give the same model bytes.
 */
export async function trainExampleModel(
  options: ExampleTrainingOptions = {},
): Promise<{ model: Uint8Array; stage1: DenseLayer[]; stage2: DenseLayer[] }> {
  const opts = {
    seed: options.seed ?? DEFAULT_TRAINING.seed,
    samplesPerClass: options.samplesPerClass ?? DEFAULT_TRAINING.samplesPerClass,
    epochs: options.epochs ?? DEFAULT_TRAINING.epochs,
    hidden: options.hidden ?? DEFAULT_TRAINING.hidden,
  }
  const studies = options.studies ?? DEFAULT_TRAINING.studies
  const log = options.onProgress ?? (() => {})
  const volumes: Volume[] = []
  for (let study = 1; study <= studies; study++) {
    for (const sequence of ['t1', 't2', 't2_SPACE'] as Sequence[]) {
      const s = generateSeries(opts.seed, study, sequence, 'realistic')
      volumes.push(toVolume(s.image, s.mask, sequence))
    }
    log(`training data: study ${study} of ${studies}`)
  }
  const stage1 = await trainStage(exampleGraph(), volumes, opts, log, 1)
  const stage2 = await trainStage(exampleGraph(stage1), volumes, opts, log, 2)
  const doc =
    'spider-bench example algorithm: fixed multi-scale features, two MLP stages (auto-context), ' +
    `trained in TypeScript on ${studies} synthetic studies (seed ${opts.seed})`
  return { model: exampleGraph(stage1, stage2, doc), stage1, stage2 }
}

function toVolume(image: Image3D, mask: Image3D, sequence: Sequence): Volume {
  const input = modelInput(image, sequence, EXAMPLE_CONFIG)
  const labels = resampleNearest(Int32Array.from(mask.data), mask.size, input.size, (n) => new Int32Array(n))
  return { input: input.block.data, size: input.size, classes: Uint8Array.from(labels, classOf) }
}
