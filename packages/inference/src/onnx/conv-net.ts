import { encodeModel, type NodeSpec, type TensorSpec } from './model-proto.ts'

/** One 3D convolution layer: weights [out, in, kz, ky, kx], odd kernels, "same" zero padding. */
export interface ConvLayer {
  readonly weights: Float32Array
  readonly bias: Float32Array
  readonly outChannels: number
  readonly inChannels: number
  /** Kernel size (z, y, x), odd. */
  readonly kernel: readonly [number, number, number]
  readonly activation: 'relu' | 'none'
}

export interface ConvNetSpec {
  readonly name: string
  readonly inChannels: number
  readonly layers: readonly ConvLayer[]
  /** Appends a Softmax over channels (output kind "probabilities"). */
  readonly softmax?: boolean
  /** Fixed patch dims (z, y, x); omitted: symbolic spatial dims (any size). */
  readonly spatial?: readonly [number, number, number]
  readonly inputName?: string
  readonly outputName?: string
  readonly docString?: string
}

/**
 * Encodes a plain stack of 3D convolutions (+ ReLU) as an ONNX model with input
 * [1, C, z, y, x] and output [1, K, z, y, x]. Its receptive-field radius along an axis is
 * the sum of the layers' kernel half-widths.
 */
export function encodeConvNet(spec: ConvNetSpec): Uint8Array {
  const inputName = spec.inputName ?? 'image'
  const outputName = spec.outputName ?? 'scores'
  const nodes: NodeSpec[] = []
  const initializers: TensorSpec[] = []
  let current = inputName
  let channels = spec.inChannels
  spec.layers.forEach((layer, i) => {
    if (layer.inChannels !== channels)
      throw new RangeError(`layer ${i}: expects ${layer.inChannels} input channels, previous layer gives ${channels}`)
    const [kz, ky, kx] = layer.kernel
    if (kz % 2 === 0 || ky % 2 === 0 || kx % 2 === 0) throw new RangeError(`layer ${i}: kernel ${layer.kernel.join('x')} must be odd`)
    const w = { name: `w${i}`, dims: [layer.outChannels, layer.inChannels, kz, ky, kx], data: layer.weights }
    const b = { name: `b${i}`, dims: [layer.outChannels], data: layer.bias }
    initializers.push(w, b)
    const last = i === spec.layers.length - 1
    const convOut = last && layer.activation === 'none' && !spec.softmax ? outputName : `conv${i}`
    const pads = [kz >> 1, ky >> 1, kx >> 1]
    nodes.push({
      op: 'Conv',
      inputs: [current, w.name, b.name],
      outputs: [convOut],
      attributes: { kernel_shape: { ints: [kz, ky, kx] }, pads: { ints: [...pads, ...pads] } },
    })
    current = convOut
    if (layer.activation === 'relu') {
      const reluOut = last && !spec.softmax ? outputName : `relu${i}`
      nodes.push({ op: 'Relu', inputs: [current], outputs: [reluOut] })
      current = reluOut
    }
    channels = layer.outChannels
  })
  if (spec.softmax) nodes.push({ op: 'Softmax', inputs: [current], outputs: [outputName], attributes: { axis: { int: 1 } } })
  const spatial = spec.spatial ?? ['z', 'y', 'x']
  return encodeModel({
    name: spec.name,
    docString: spec.docString,
    inputs: [{ name: inputName, elemType: 'float32', shape: [1, spec.inChannels, ...spatial] }],
    outputs: [{ name: outputName, elemType: 'float32', shape: [1, channels, ...spatial] }],
    nodes,
    initializers,
  })
}
