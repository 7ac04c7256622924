import { encodeConvNet } from '../onnx/conv-net.ts'
import { encodeModel } from '../onnx/model-proto.ts'
import { seededRandom } from '@spider-bench/random'
import { randomLayer } from './reference-conv.ts'

/** Small models with known behaviour for tests of validation and the model process. */
const IO = { name: 'x', elemType: 'float32', shape: [1, 1, 'z', 'y', 'x'] } as const
const OUT = { name: 'y', elemType: 'float32', shape: [1, 2, 'z', 'y', 'x'] } as const

/** Two-class conv net (fast). */
export function fastModel(): Uint8Array {
  const rand = seededRandom(1, -1, 1)
  return encodeConvNet({
    name: 'fast',
    inChannels: 1,
    inputName: 'x',
    outputName: 'y',
    layers: [randomLayer(rand, 1, 2, [3, 3, 3], 'none')],
  })
}

/** Wide 3x3x3 layers (62k multiply-adds per voxel and layer): seconds per 32³ patch on one CPU thread with 6 layers. */
export function slowModel(depth = 6): Uint8Array {
  const rand = seededRandom(2, -1, 1)
  const layers = [
    randomLayer(rand, 1, 48, [3, 3, 3], 'relu'),
    ...Array.from({ length: depth }, () => randomLayer(rand, 48, 48, [3, 3, 3], 'relu')),
    randomLayer(rand, 48, 2, [1, 1, 1], 'none'),
  ]
  return encodeConvNet({ name: 'slow', inChannels: 1, inputName: 'x', outputName: 'y', layers })
}

/** sqrt(-1 - x²): NaN everywhere, right shape. */
export function nanModel(): Uint8Array {
  return encodeModel({
    name: 'nan',
    inputs: [IO],
    outputs: [OUT],
    nodes: [
      { op: 'Mul', inputs: ['x', 'x'], outputs: ['sq'] },
      { op: 'Add', inputs: ['sq', 'one'], outputs: ['sq1'] },
      { op: 'Neg', inputs: ['sq1'], outputs: ['neg'] },
      { op: 'Sqrt', inputs: ['neg'], outputs: ['nan'] },
      { op: 'Concat', inputs: ['nan', 'nan'], outputs: ['y'], attributes: { axis: { int: 1 } } },
    ],
    initializers: [{ name: 'one', dims: [], data: Float32Array.of(1) }],
  })
}

/** Max-pools by 2: declares symbolic output dims but returns half the patch. */
export function halfSizeModel(): Uint8Array {
  return encodeModel({
    name: 'half',
    inputs: [IO],
    outputs: [{ name: 'y', elemType: 'float32', shape: [1, 2, 'a', 'b', 'c'] }],
    nodes: [
      { op: 'MaxPool', inputs: ['x'], outputs: ['p'], attributes: { kernel_shape: { ints: [2, 2, 2] }, strides: { ints: [2, 2, 2] } } },
      { op: 'Concat', inputs: ['p', 'p'], outputs: ['y'], attributes: { axis: { int: 1 } } },
    ],
  })
}

/** Tiles the patch `copies` times along the channels (copies x patch x 4 bytes, twice), then averages it back. */
export function memoryHogModel(copies: number): Uint8Array {
  return encodeModel({
    name: 'hog',
    inputs: [IO],
    outputs: [OUT],
    nodes: [
      { op: 'Tile', inputs: ['x', 'repeats'], outputs: ['big'] },
      { op: 'Mul', inputs: ['big', 'big'], outputs: ['big2'] },
      { op: 'ReduceMean', inputs: ['big2'], outputs: ['m'], attributes: { axes: { ints: [1] }, keepdims: { int: 1 } } },
      { op: 'Concat', inputs: ['m', 'm'], outputs: ['y'], attributes: { axis: { int: 1 } } },
    ],
    initializers: [{ name: 'repeats', dims: [5], data: BigInt64Array.of(1n, BigInt(copies), 1n, 1n, 1n) }],
  })
}
