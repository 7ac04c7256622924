import type { NodeSpec, TensorSpec } from '../onnx/model-proto.ts'
import type { DenseLayer } from './mlp.ts'

/**
 * Graph building blocks of the example algorithm. Tensors are [1, C, d0, d1, d2] =
 * [1, C, z, y, x]; on the synthetic generator's grids z runs anterior → posterior, y
 * inferior → superior and x across the sagittal slices. Every fixed operation (box mean,
 * max, shift) has "same" padding, so the graphs accept any spatial size.
 */
export class GraphBuilder {
  readonly nodes: NodeSpec[] = []
  readonly initializers: TensorSpec[] = []

  private int64(name: string, values: number[]): string {
    this.initializers.push({ name, dims: [values.length], data: BigInt64Array.from(values.map(BigInt)) })
    return name
  }

  /** Channels [from, to) of `src`. */
  slice(src: string, out: string, from: number, to: number): string {
    this.nodes.push({
      op: 'Slice',
      inputs: [src, this.int64(`${out}_starts`, [from]), this.int64(`${out}_ends`, [to]), this.int64(`${out}_axes`, [1])],
      outputs: [out],
    })
    return out
  }

  /** Box mean with radius (z, y, x), separable; excluded padding keeps it a true mean at the borders. */
  boxMean(src: string, out: string, radius: readonly [number, number, number]): string {
    let cur = src
    radius.forEach((r, axis) => {
      if (r === 0) return
      const kernel = [1, 1, 1]
      kernel[axis] = 2 * r + 1
      const pads = [0, 0, 0]
      pads[axis] = r
      const next = `${out}_a${axis}`
      this.nodes.push({
        op: 'AveragePool',
        inputs: [cur],
        outputs: [next],
        attributes: { kernel_shape: { ints: kernel }, pads: { ints: [...pads, ...pads] }, count_include_pad: { int: 0 } },
      })
      cur = next
    })
    this.nodes.push({ op: 'Identity', inputs: [cur], outputs: [out] })
    return out
  }

  maxPool(src: string, out: string, radius: readonly [number, number, number]): string {
    this.nodes.push({
      op: 'MaxPool',
      inputs: [src],
      outputs: [out],
      attributes: { kernel_shape: { ints: radius.map((r) => 2 * r + 1) }, pads: { ints: [...radius, ...radius] } },
    })
    return out
  }

  minPool(src: string, out: string, radius: readonly [number, number, number]): string {
    this.nodes.push({ op: 'Neg', inputs: [src], outputs: [`${out}_neg`] })
    this.maxPool(`${out}_neg`, `${out}_negmax`, radius)
    this.nodes.push({ op: 'Neg', inputs: [`${out}_negmax`], outputs: [out] })
    return out
  }

  /**
   * Copies of each of the `channels` channels of `src` shifted by each offset along one axis
   * (output voxel v reads src[v + offset], zero outside): a grouped Conv with one-hot kernels.
   * Output channel order: channel-major, then offset.
   */
  shifts(src: string, out: string, channels: number, axis: number, offsets: readonly number[]): string {
    const reach = Math.max(...offsets.map(Math.abs))
    const k = 2 * reach + 1
    const w = new Float32Array(channels * offsets.length * k)
    for (let c = 0; c < channels; c++) offsets.forEach((o, i) => (w[(c * offsets.length + i) * k + reach + o] = 1))
    const dims = [channels * offsets.length, 1, 1, 1, 1]
    dims[2 + axis] = k
    this.initializers.push({ name: `${out}_w`, dims, data: w })
    const kernel = [1, 1, 1]
    kernel[axis] = k
    const pads = [0, 0, 0]
    pads[axis] = reach
    this.nodes.push({
      op: 'Conv',
      inputs: [src, `${out}_w`],
      outputs: [out],
      attributes: { kernel_shape: { ints: kernel }, pads: { ints: [...pads, ...pads] }, group: { int: channels } },
    })
    return out
  }

  concat(inputs: readonly string[], out: string): string {
    this.nodes.push({ op: 'Concat', inputs: [...inputs], outputs: [out], attributes: { axis: { int: 1 } } })
    return out
  }

  /** A dense network applied at every voxel: 1x1x1 convolutions with ReLU between them. */
  mlp(src: string, out: string, layers: readonly DenseLayer[], prefix: string): string {
    let cur = src
    layers.forEach((L, l) => {
      const last = l === layers.length - 1
      this.initializers.push(
        { name: `${prefix}_w${l}`, dims: [L.outputs, L.inputs, 1, 1, 1], data: L.weights },
        { name: `${prefix}_b${l}`, dims: [L.outputs], data: L.bias },
      )
      const lin = last ? out : `${prefix}_lin${l}`
      this.nodes.push({
        op: 'Conv',
        inputs: [cur, `${prefix}_w${l}`, `${prefix}_b${l}`],
        outputs: [lin],
        attributes: { kernel_shape: { ints: [1, 1, 1] } },
      })
      if (!last) this.nodes.push({ op: 'Relu', inputs: [lin], outputs: [`${prefix}_h${l}`] })
      cur = last ? out : `${prefix}_h${l}`
    })
    return out
  }

  softmax(src: string, out: string): string {
    this.nodes.push({ op: 'Softmax', inputs: [src], outputs: [out], attributes: { axis: { int: 1 } } })
    return out
  }
}

/** Input channels the example model expects, in order (config `input.channels`). */
export const EXAMPLE_INPUT_CHANNELS = ['image', 't1', 't2', 't2_SPACE'] as const

/** In-plane context offsets (voxels at the model spacing) of the shifted-mean features. */
const SHIFTS = [-12, -6, 6, 12]
const LATERAL_SHIFTS = [-2, 2]

/**
 * Stage-1 features of the input [image, t1, t2, t2_SPACE]: multi-scale box means, local max
 * and min, shifted local means (context above/below, in front/behind, left/right) and the
 * sequence indicators. Returns the tensor name and its channel count.
 */
export function imageFeatures(b: GraphBuilder, input: string): { name: string; channels: number } {
  const image = b.slice(input, 'f_image', 0, 1)
  const sequence = b.slice(input, 'f_sequence', 1, 4)
  const parts = [
    image,
    b.boxMean(image, 'f_mean1', [1, 1, 0]),
    b.boxMean(image, 'f_mean3', [3, 3, 1]),
    b.boxMean(image, 'f_mean7', [7, 7, 1]),
    b.boxMean(image, 'f_mean15', [15, 15, 1]),
    b.maxPool('f_mean1', 'f_max3', [3, 3, 0]),
    b.minPool('f_mean1', 'f_min3', [3, 3, 0]),
    b.shifts('f_mean3', 'f_shift_z', 1, 0, SHIFTS),
    b.shifts('f_mean3', 'f_shift_y', 1, 1, SHIFTS),
    b.shifts('f_mean3', 'f_shift_x', 1, 2, LATERAL_SHIFTS),
    sequence,
  ]
  return { name: b.concat(parts, 'features1'), channels: 7 + 2 * SHIFTS.length + LATERAL_SHIFTS.length + 3 }
}

/**
 * Stage-2 (auto-context) features: the stage-1 class probabilities, their box means at three
 * scales and shifted copies, concatenated with the stage-1 features. They let the second
 * network fill holes and follow the spine's layout (a vertebra lies between two discs).
 */
export function contextFeatures(
  b: GraphBuilder,
  probs: string,
  classes: number,
  stage1: { name: string; channels: number },
): { name: string; channels: number } {
  const parts = [
    stage1.name,
    probs,
    b.boxMean(probs, 'c_mean3', [3, 3, 1]),
    b.boxMean(probs, 'c_mean7', [7, 7, 1]),
    b.boxMean(probs, 'c_mean15', [15, 15, 2]),
    b.shifts('c_mean3', 'c_shift_z', classes, 0, SHIFTS),
    b.shifts('c_mean3', 'c_shift_y', classes, 1, SHIFTS),
  ]
  return { name: b.concat(parts, 'features2'), channels: stage1.channels + classes * (4 + 2 * SHIFTS.length) }
}
