import { describe, expect, it } from 'vitest'
import * as ort from 'onnxruntime-node'
import { encodeConvNet } from './conv-net.ts'
import { encodeModel } from './model-proto.ts'
import { seededRandom } from '@spider-bench/random'
import { randomLayer, referenceConv } from '../testing/reference-conv.ts'

describe('ONNX encoding', () => {
  it('a conv net encoded in TypeScript loads in onnxruntime-node and computes the reference convolution', async () => {
    const rand = seededRandom(7, -1, 1)
    const layers = [randomLayer(rand, 2, 3, [3, 3, 3], 'relu'), randomLayer(rand, 3, 2, [1, 3, 5], 'none')]
    const session = await ort.InferenceSession.create(encodeConvNet({ name: 't', inChannels: 2, layers }))
    expect(session.inputNames).toEqual(['image'])
    expect(session.outputNames).toEqual(['scores'])
    const meta = session.inputMetadata[0]
    expect(meta.isTensor && meta.shape).toEqual([1, 2, 'z', 'y', 'x'])
    const dims = [5, 6, 7] as const
    const input = Float32Array.from({ length: 2 * 5 * 6 * 7 }, () => rand())
    const out = await session.run({ image: new ort.Tensor('float32', input, [1, 2, ...dims]) })
    expect(out.scores.dims).toEqual([1, 2, 5, 6, 7])
    const expected = referenceConv(input, 2, dims, layers)
    const got = out.scores.data as Float32Array
    for (let i = 0; i < expected.length; i++) expect(got[i]).toBeCloseTo(expected[i], 4)
  })

  it('softmax output sums to one per voxel', async () => {
    const rand = seededRandom(3, -1, 1)
    const session = await ort.InferenceSession.create(
      encodeConvNet({ name: 't', inChannels: 1, layers: [randomLayer(rand, 1, 4, [3, 3, 3], 'none')], softmax: true }),
    )
    const out = await session.run({
      image: new ort.Tensor(
        'float32',
        Float32Array.from({ length: 64 }, () => rand()),
        [1, 1, 4, 4, 4],
      ),
    })
    const p = out.scores.data as Float32Array
    for (let v = 0; v < 64; v++) expect(p[v] + p[64 + v] + p[128 + v] + p[192 + v]).toBeCloseTo(1, 5)
  })

  it('encodes int, float and tensor attributes and int64 initializers', async () => {
    // y = Clip(x, min, max) * 2 via Mul with a scalar initializer, reshaped through an int64 shape tensor.
    const bytes = encodeModel({
      name: 'attrs',
      inputs: [{ name: 'x', elemType: 'float32', shape: [2, 3] }],
      outputs: [{ name: 'y', elemType: 'float32', shape: [3, 2] }],
      nodes: [
        {
          op: 'Constant',
          inputs: [],
          outputs: ['two'],
          attributes: { value: { tensor: { name: 'two', dims: [], data: Float32Array.of(2) } } },
        },
        { op: 'LeakyRelu', inputs: ['x'], outputs: ['l'], attributes: { alpha: { float: 0.5 } } },
        { op: 'Mul', inputs: ['l', 'two'], outputs: ['m'] },
        { op: 'Reshape', inputs: ['m', 'shape'], outputs: ['y'] },
      ],
      initializers: [{ name: 'shape', dims: [2], data: BigInt64Array.of(3n, 2n) }],
    })
    const session = await ort.InferenceSession.create(bytes)
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.of(-2, -1, 0, 1, 2, 3), [2, 3]) })
    expect(out.y.dims).toEqual([3, 2])
    expect(Array.from(out.y.data as Float32Array)).toEqual([-2, -1, 0, 2, 4, 6])
  })

  it('rejects a tensor whose data length does not match its dims', () => {
    expect(() =>
      encodeModel({
        name: 'bad',
        inputs: [],
        outputs: [],
        nodes: [],
        initializers: [{ name: 'w', dims: [2, 2], data: new Float32Array(3) }],
      }),
    ).toThrow('tensor w: dims [2, 2] hold 4 values but data has 3')
  })
})
