import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as ort from 'onnxruntime-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AlgorithmValidationError } from '../errors.ts'
import {
  EXTERNAL_ATTACK_CONFIG,
  EXTERNAL_DATA_VARIANTS,
  externalDataAttackModel,
  shapeDump,
  type ExternalDataVariant,
} from '../testing/external-data-models.ts'
import { fastModel, halfSizeModel, memoryHogModel, nanModel, slowModel } from '../testing/test-models.ts'
import { validateAlgorithm } from '../validate-algorithm.ts'
import { encodeConvNet } from './conv-net.ts'
import { assertNoExternalData, MAX_NESTING } from './external-data-check.ts'
import { encodeModel, type GraphSpec } from './model-proto.ts'
import { ProtoWriter } from './proto-writer.ts'

const SECRET = new TextEncoder().encode('TOPSECRET-hidden-mask-bytes')
const IO = { name: 'x', elemType: 'float32', shape: [1, 1, 'z', 'y', 'x'] } as const
const OUT = { name: 'y', elemType: 'float32', shape: [1, 2, 'z', 'y', 'x'] } as const

function refusal(model: Uint8Array, file = 'model.onnx'): string {
  try {
    assertNoExternalData(model, file)
  } catch (err) {
    expect(err).toBeInstanceOf(AlgorithmValidationError)
    expect((err as AlgorithmValidationError).part).toBe('model')
    return (err as Error).message
  }
  throw new Error('the model was accepted')
}

const EMBED =
  'is stored as external data (data_location EXTERNAL or external_data entries); ' +
  'external data is not accepted: embed the weights in the .onnx file ' +
  '(e.g. onnx.save_model(model, path, save_as_external_data=False))'

const WHERE: Record<ExternalDataVariant, string> = {
  initializer: 'tensor "stolen" (initializer of graph "attack-initializer")',
  'constant-attribute': 'tensor "value" (attribute "value" of node "constant_0" (Constant) in graph "attack-constant-attribute")',
  'sparse-initializer': 'tensor "stolen" (values of the sparse initializer of graph "attack-sparse-initializer")',
  'if-subgraph':
    'tensor "then_data" (initializer of graph "then" ' +
    '(subgraph of attribute "then_branch" of node "if_1" (If) in graph "attack-if-subgraph"))',
  'loop-in-if-subgraph':
    'tensor "deep" (attribute "value" of node "constant_1" (Constant) in graph "body" ' +
    '(subgraph of attribute "body" of node "loop_0" (Loop) in graph "then" ' +
    '(subgraph of attribute "then_branch" of node "if_1" (If) in graph "attack-loop-in-if-subgraph")))',
  function: 'tensor "value" (attribute "value" of node "constant_0" (Constant) in function "attack.Steal")',
}

describe('assertNoExternalData', () => {
  it('accepts the models the project builds (embedded weights, attributes, initializers)', () => {
    for (const model of [
      fastModel(),
      slowModel(1),
      nanModel(),
      halfSizeModel(),
      memoryHogModel(2),
      encodeConvNet({
        name: 'c',
        inChannels: 1,
        layers: [
          {
            weights: Float32Array.of(1, 2),
            bias: Float32Array.of(0, 0),
            inChannels: 1,
            outChannels: 2,
            kernel: [1, 1, 1],
            activation: 'relu',
          },
        ],
        softmax: true,
      }),
    ]) {
      expect(() => assertNoExternalData(model)).not.toThrow()
    }
  })

  it.each(EXTERNAL_DATA_VARIANTS)('refuses external data in the %s variant, naming the tensor and where it is', (variant) => {
    expect(refusal(externalDataAttackModel(variant, 'data/db/pg_wal/000000010000000000000001'), 'evil.onnx')).toBe(
      `evil.onnx: ${WHERE[variant]} ${EMBED}`,
    )
  })

  it('refuses external_data entries even when data_location is left at DEFAULT', () => {
    const model = encodeModel({
      name: 'g',
      inputs: [IO],
      outputs: [OUT],
      nodes: [],
      initializers: [{ name: 'w', dims: [4], elemType: 'float32', external: { location: 'w.bin' }, omitDataLocation: true }],
    })
    expect(refusal(model)).toBe(`model.onnx: tensor "w" (initializer of graph "g") ${EMBED}`)
  })

  it('refuses external tensors in tensors and sparse_tensor attributes and in sparse indices', () => {
    const ext = { name: 'e', dims: [2], elemType: 'int64', external: { location: 'x' } } as const
    const node = (attributes: Parameters<typeof encodeModel>[0]['nodes'][number]['attributes']) =>
      encodeModel({ name: 'g', inputs: [IO], outputs: [OUT], nodes: [{ op: 'Custom', name: 'n', inputs: [], outputs: ['o'], attributes }] })
    expect(refusal(node({ list: { tensors: [{ name: 'ok', dims: [1], data: Float32Array.of(1) }, ext] } }))).toBe(
      `model.onnx: tensor "e" (attribute "list" of node "n" (Custom) in graph "g") ${EMBED}`,
    )
    const sparse = { values: { name: 'v', dims: [2], data: Float32Array.of(1, 2) }, indices: ext, dims: [5] }
    expect(refusal(node({ sp: { sparseTensor: sparse } }))).toBe(
      `model.onnx: tensor "e" (indices of the sparse tensor of attribute "sp" of node "n" (Custom) in graph "g") ${EMBED}`,
    )
    const graphs: GraphSpec[] = [
      { name: 'a', inputs: [], outputs: [], nodes: [] },
      { name: 'b', inputs: [], outputs: [], nodes: [], initializers: [ext] },
    ]
    expect(refusal(node({ bodies: { graphs } }))).toBe(
      `model.onnx: tensor "e" (initializer of graph "b" (subgraph of attribute "bodies" of node "n" (Custom) in graph "g")) ${EMBED}`,
    )
  })

  it('refuses external tensors in training_info graphs and function default attributes (raw protobuf)', () => {
    const externalTensor = (t: ProtoWriter) =>
      t
        .int(1, 4)
        .int(2, 1)
        .string(8, 'hidden')
        .message(13, (e) => e.string(1, 'location').string(2, 'secret.bin'))
        .int(14, 1)
    const mainGraph = (g: ProtoWriter) => g.string(2, 'main')
    const training = new ProtoWriter()
      .int(1, 8)
      .message(7, mainGraph)
      .message(20, (ti) => ti.message(1, (g) => g.string(2, 'init').message(5, externalTensor)))
      .finish()
    expect(refusal(training)).toBe(`model.onnx: tensor "hidden" (initializer of graph "init" (training initialization)) ${EMBED}`)
    const fnDefault = new ProtoWriter()
      .int(1, 8)
      .message(7, mainGraph)
      .message(25, (f) =>
        f
          .string(1, 'F')
          .string(10, 'd')
          .message(11, (a) => a.string(1, 'alpha').message(5, externalTensor).int(20, 4)),
      )
      .finish()
    expect(refusal(fnDefault)).toBe(`model.onnx: tensor "hidden" (attribute "alpha" of default attributes of function "d.F") ${EMBED}`)
  })

  it('refuses every non-default data_location encoding: an over-long varint, a high-bit value, a length-delimited field', () => {
    const withLocation = (write: (t: ProtoWriter) => void) =>
      new ProtoWriter()
        .int(1, 8)
        .message(7, (g) => g.string(2, 'g').message(5, (t) => write(t.int(1, 1).int(2, 1).string(8, 't'))))
        .finish()
    expect(() => assertNoExternalData(withLocation((t) => t.int(14, 0)))).not.toThrow()
    expect(refusal(withLocation((t) => t.int(14, 2n ** 32n + 1n)))).toContain(
      'tensor "t" (initializer of graph "g") is stored as external data',
    )
    expect(refusal(withLocation((t) => t.int(14, -1)))).toContain('tensor "t" (initializer of graph "g") is stored as external data')
    expect(refusal(withLocation((t) => t.bytes(14, Uint8Array.of(1))))).toContain(
      'tensor "t" (initializer of graph "g") is stored as external data',
    )
  })

  it('refuses malformed protobuf, a model without a graph and ORT-format files with a clear message', () => {
    expect(refusal(new TextEncoder().encode('not a model'))).toBe(
      'model.onnx: not a valid ONNX model (malformed protobuf: field 13 at byte 0 has wire type 6, which ONNX does not use)',
    )
    expect(refusal(new Uint8Array(0))).toBe('model.onnx: not a valid ONNX model (it has no graph)')
    const good = fastModel()
    expect(refusal(good.subarray(0, good.length - 3))).toMatch(
      new RegExp(
        /^model.onnx: not a valid ONNX model \(malformed protobuf: /.source +
          /(field \d+ at byte \d+ declares \d+ bytes but its message has \d+ left|truncated varint at byte \d+)\)$/.source,
      ),
    )
    expect(refusal(Uint8Array.of(0x08, 0xff, 0xff))).toBe(
      'model.onnx: not a valid ONNX model (malformed protobuf: truncated varint at byte 3)',
    )
    expect(refusal(Uint8Array.of(0x08, ...new Array<number>(11).fill(0xff), 0x01))).toBe(
      'model.onnx: not a valid ONNX model (malformed protobuf: varint longer than 10 bytes at byte 1)',
    )
    expect(refusal(new ProtoWriter().int(7, 3).finish())).toBe(
      'model.onnx: not a valid ONNX model (ModelProto.graph has wire type 0, expected a length-delimited message)',
    )
    const ort = new Uint8Array(64)
    ort.set(new TextEncoder().encode('ORTM'), 4)
    expect(refusal(ort)).toBe('model.onnx: this is an ORT-format model; upload the ONNX (protobuf) model instead')
  })

  it('caps nesting: subgraphs within subgraphs beyond MAX_NESTING are refused without exhausting the stack', () => {
    const nested = (levels: number): GraphSpec => {
      let g: GraphSpec = { name: 'leaf', inputs: [], outputs: [], nodes: [] }
      for (let i = 0; i < levels; i++)
        g = {
          name: `g${i}`,
          inputs: [],
          outputs: [],
          nodes: [{ op: 'If', name: `if${i}`, inputs: ['c'], outputs: ['o'], attributes: { then_branch: { graph: g } } }],
        }
      return g
    }
    // Each subgraph level is three messages (node, attribute, graph) below the model and main graph.
    expect(() => assertNoExternalData(encodeModel(nested(Math.floor((MAX_NESTING - 2) / 3))))).not.toThrow()
    expect(refusal(encodeModel(nested(Math.floor((MAX_NESTING - 2) / 3) + 1)))).toBe(
      `model.onnx: the model nests messages more than ${MAX_NESTING} deep (subgraphs within subgraphs); ` +
        `spider-bench accepts at most ${MAX_NESTING}`,
    )
    // A hand-made chain 30 000 messages deep, far past the stack a naive recursion could take: refused at the cap.
    let deep: Uint8Array = new Uint8Array(0)
    const wrap = (field: number, inner: Uint8Array) => new ProtoWriter().bytes(field, inner).finish()
    for (let i = 0; i < 10_000; i++) deep = wrap(1, wrap(5, wrap(6, deep)))
    expect(refusal(wrap(7, deep))).toContain('nests messages more than')
  })
})

describe('the external-data attack against validateAlgorithm (real onnxruntime, a secret file in the working directory)', () => {
  let dir: string
  const cwd = process.cwd()
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spider-extdata-'))
    await writeFile(join(dir, 'secret.bin'), SECRET)
    process.chdir(dir)
  })
  afterAll(async () => {
    process.chdir(cwd)
    await rm(dir, { recursive: true, force: true })
  })

  it.each(EXTERNAL_DATA_VARIANTS)(
    '%s: onnxruntime alone prints the file; validateAlgorithm refuses before it reads anything',
    async (variant) => {
      const model = externalDataAttackModel(variant, 'secret.bin', SECRET.length)
      // The attack is real: given the model, onnxruntime reads secret.bin and prints its bytes.
      const session = await ort.InferenceSession.create(model, { logSeverityLevel: 4 })
      const leaked = await session.run({ x: new ort.Tensor('float32', new Float32Array(512), [1, 1, 8, 8, 8]) }).then(
        () => '',
        (err: Error) => err.message,
      )
      await session.release()
      expect(leaked).toContain(`requested shape:${shapeDump(SECRET)}`)
      // Upload validation refuses it, and its message holds none of the file.
      const err = await validateAlgorithm(model, EXTERNAL_ATTACK_CONFIG).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(AlgorithmValidationError)
      expect((err as Error).message).toBe(`model.onnx: ${WHERE[variant]} ${EMBED}`)
      expect((err as AlgorithmValidationError).detail).toBeUndefined()
    },
  )
})
