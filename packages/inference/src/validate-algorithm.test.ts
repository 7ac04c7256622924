import { describe, expect, it } from 'vitest'
import type { AlgorithmConfig } from './config/algorithm-config-schema.ts'
import { AlgorithmValidationError } from './errors.ts'
import { encodeConvNet } from './onnx/conv-net.ts'
import { encodeModel } from './onnx/model-proto.ts'
import { seededRandom } from '@spider-bench/random'
import { randomLayer } from './testing/reference-conv.ts'
import { validateAlgorithm } from './validate-algorithm.ts'

const rand = seededRandom(21, -1, 1)
const fourClass = encodeConvNet({ name: 'ok', inChannels: 1, layers: [randomLayer(rand, 1, 4, [3, 3, 3], 'none')], softmax: true })
const config: AlgorithmConfig = {
  schemaVersion: 1,
  input: { channels: ['image'], spacing: null },
  normalization: { kind: 'z-score' },
  slidingWindow: { patchSize: [8, 8, 4], overlap: 0.5, blending: 'gaussian' },
  output: { kind: 'probabilities', channels: [{ class: 'background' }, { class: 'vertebra' }, { class: 'disc' }, { class: 'canal' }] },
}

async function reason(model: Uint8Array, cfg: unknown): Promise<string> {
  const err = await validateAlgorithm(model, cfg).then(
    () => null,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(AlgorithmValidationError)
  return (err as Error).message
}

function identityModel(elemType: 'float32' | 'int32', shape: (number | string)[]): Uint8Array {
  return encodeModel({
    name: 'id',
    inputs: [{ name: 'x', elemType, shape }],
    outputs: [{ name: 'y', elemType, shape }],
    nodes: [{ op: 'Identity', inputs: ['x'], outputs: ['y'] }],
  })
}

describe('validateAlgorithm', () => {
  it('accepts a model that matches its config and names its tensors', async () => {
    expect(await validateAlgorithm(fourClass, config)).toMatchObject({ inputName: 'image', outputName: 'scores' })
  })

  it('rejects a file that is not an ONNX model, and one onnxruntime cannot load', async () => {
    expect(await reason(new TextEncoder().encode('not a model'), config)).toBe(
      'model.onnx: not a valid ONNX model (malformed protobuf: field 13 at byte 0 has wire type 6, which ONNX does not use)',
    )
    const unknownOp = encodeModel({
      name: 'u',
      inputs: [{ name: 'x', elemType: 'float32', shape: [1] }],
      outputs: [{ name: 'y', elemType: 'float32', shape: [1] }],
      nodes: [{ op: 'NoSuchOp', inputs: ['x'], outputs: ['y'] }],
    })
    expect(await reason(unknownOp, config)).toMatch(/^model.onnx: onnxruntime cannot load the model \(.*NoSuchOp/)
  })

  it("shows onnxruntime's failure without server paths or value dumps; the raw text stays in detail", async () => {
    // Reshape of the input to a 16-value shape taken from the model's own weights fails on the run.
    const shape = BigInt64Array.from({ length: 16 }, (_, i) => BigInt(100 + i))
    const model = encodeModel({
      name: 'bad-reshape',
      inputs: [{ name: 'x', elemType: 'float32', shape: [1, 1, 'z', 'y', 'x'] }],
      outputs: [{ name: 'y', elemType: 'float32', shape: [1, 4, 'z', 'y', 'x'] }],
      nodes: [
        { op: 'ReduceMin', inputs: ['x'], outputs: ['m'], attributes: { keepdims: { int: 0 } } },
        { op: 'Cast', inputs: ['m'], outputs: ['m64'], attributes: { to: { int: 7 } } },
        { op: 'Add', inputs: ['shape', 'm64'], outputs: ['s'] },
        { op: 'Reshape', inputs: ['x', 's'], outputs: ['r'] },
        { op: 'ReduceSum', inputs: ['r'], outputs: ['t'], attributes: { keepdims: { int: 0 } } },
        { op: 'Add', inputs: ['x', 't'], outputs: ['xt'] },
        { op: 'Concat', inputs: ['xt', 'xt', 'xt', 'xt'], outputs: ['y'], attributes: { axis: { int: 1 } } },
      ],
      initializers: [{ name: 'shape', dims: [16], data: shape }],
    })
    const err = (await validateAlgorithm(model, config).catch((e: unknown) => e)) as AlgorithmValidationError
    expect(err).toBeInstanceOf(AlgorithmValidationError)
    expect(err.message).toMatch(
      /^model.onnx: running one all-zero patch \[1, 1, 4, 8, 8\] failed \(.*Reshape.*requested shape:\{<16 values>\}/,
    )
    expect(err.message).not.toMatch(/\/onnxruntime|100,101/)
    expect(err.message.length).toBeLessThan(500)
    expect(err.detail).toContain('requested shape:{100,101,102,103,104,105,106,107,108,109,110,111,112,113,114,115}')
  })

  it('rejects an invalid config before loading the model', async () => {
    const err = await validateAlgorithm(fourClass, { ...config, slidingWindow: { ...config.slidingWindow, blending: 'linear' } }).catch(
      (e: unknown) => e,
    )
    expect((err as AlgorithmValidationError).part).toBe('config')
    expect((err as Error).message).toBe('config.json: /slidingWindow/blending: must be one of "gaussian", "constant" (got "linear")')
  })

  it('names input channel, rank, element type and patch-size mismatches', async () => {
    expect(await reason(fourClass, { ...config, input: { ...config.input, channels: ['image', 't1'] } })).toBe(
      'model.onnx: input "image" has [1, 1, "z", "y", "x"]: channel dimension 1 but config input.channels lists 2 (image, t1)',
    )
    expect(await reason(identityModel('float32', [1, 1, 'y', 'x']), config)).toBe(
      'model.onnx: input "x" has rank 4 [1, 1, "y", "x"]; expected rank 5 [batch, channel, z, y, x]',
    )
    expect(await reason(identityModel('int32', [1, 1, 'z', 'y', 'x']), config)).toBe(
      'model.onnx: input "x" has element type int32; expected float32',
    )
    const fixed = encodeConvNet({ name: 'fixed', inChannels: 1, layers: [randomLayer(rand, 1, 4, [1, 1, 1], 'none')], spatial: [4, 8, 6] })
    expect(await reason(fixed, config)).toBe(
      'model.onnx: input "image" has shape [1, 1, 4, 8, 6]: ' +
        'dimension 4 (x) is 6 but slidingWindow.patchSize gives 8 (tensors are [batch, channel, z, y, x])',
    )
  })

  it('names output channel, name and kind mismatches', async () => {
    const three = { ...config, output: { kind: 'logits', channels: [{ label: 0 }, { label: 1 }, { label: 100 }] } }
    expect(await reason(fourClass, three)).toBe(
      'model.onnx: output "scores" has 4 channels [1, 4, "z", "y", "x"] but the config\'s output (logits) needs 3',
    )
    expect(await reason(fourClass, { ...config, output: { ...config.output, name: 'probs' } })).toBe(
      'model.onnx: config output.name is "probs" but the model\'s outputs are "scores"',
    )
    expect(await reason(fourClass, { ...config, input: { ...config.input, name: 'img' } })).toBe(
      'model.onnx: config input.name is "img" but the model\'s input is "image"',
    )
    expect(await reason(identityModel('float32', [1, 1, 'z', 'y', 'x']), config)).toBe(
      'model.onnx: output "y" has 1 channels [1, 1, "z", "y", "x"] but the config\'s output (probabilities) needs 4',
    )
  })

  it('runs one all-zero patch: a symbolic output that comes out wrong, or NaN, is rejected', async () => {
    // Output = x / x: NaN on the zero patch, with the right shape.
    const nan = encodeModel({
      name: 'nan',
      inputs: [{ name: 'x', elemType: 'float32', shape: [1, 1, 'z', 'y', 'x'] }],
      outputs: [{ name: 'y', elemType: 'float32', shape: [1, 'c', 'z', 'y', 'x'] }],
      nodes: [
        { op: 'Div', inputs: ['x', 'x'], outputs: ['q'] },
        { op: 'Concat', inputs: ['q', 'q'], outputs: ['y'], attributes: { axis: { int: 1 } } },
      ],
    })
    const two = { ...config, output: { kind: 'logits', channels: [{ label: 0 }, { label: 1 }] } }
    expect(await reason(nan, two)).toBe('model.onnx: on an all-zero patch the output "y" holds NaN at flat index 0')
    // Pooling halves the patch: the declared output is symbolic, the real one too small.
    const pooled = encodeModel({
      name: 'pool',
      inputs: [{ name: 'x', elemType: 'float32', shape: [1, 1, 'z', 'y', 'x'] }],
      outputs: [{ name: 'y', elemType: 'float32', shape: [1, 'c', 'a', 'b', 'd'] }],
      nodes: [
        { op: 'MaxPool', inputs: ['x'], outputs: ['p'], attributes: { kernel_shape: { ints: [2, 2, 2] }, strides: { ints: [2, 2, 2] } } },
        { op: 'Concat', inputs: ['p', 'p'], outputs: ['y'], attributes: { axis: { int: 1 } } },
      ],
    })
    expect(await reason(pooled, two)).toBe(
      'model.onnx: on an all-zero patch the output "y" has dims [1, 2, 2, 4, 4], expected [1, 2, 4, 8, 8]',
    )
  })
})
