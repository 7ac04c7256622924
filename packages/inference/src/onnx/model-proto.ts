import { ProtoWriter } from './proto-writer.ts'

/**
 * Encodes an ONNX ModelProto from a plain graph description. Field numbers follow
 * onnx/onnx.proto (ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto,
 * ValueInfoProto, TypeProto, TensorShapeProto, OperatorSetIdProto).
 */

/** ONNX TensorProto.DataType codes of the element types the project uses. */
export const ONNX_ELEM_TYPES = { float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9 } as const
export type OnnxElemType = keyof typeof ONNX_ELEM_TYPES

export interface TensorSpec {
  readonly name: string
  readonly dims: readonly number[]
  readonly data: Float32Array | Int32Array | BigInt64Array | Uint8Array
}

export type AttributeValue =
  | { readonly int: number }
  | { readonly ints: readonly number[] }
  | { readonly float: number }
  | { readonly floats: readonly number[] }
  | { readonly string: string }
  | { readonly tensor: TensorSpec }

export interface NodeSpec {
  readonly op: string
  readonly inputs: readonly string[]
  readonly outputs: readonly string[]
  readonly name?: string
  readonly attributes?: Readonly<Record<string, AttributeValue>>
}

export interface ValueSpec {
  readonly name: string
  readonly elemType: OnnxElemType
  /** A number is a fixed dimension, a string a symbolic one (e.g. "batch"). */
  readonly shape: readonly (number | string)[]
}

export interface GraphSpec {
  readonly name: string
  readonly inputs: readonly ValueSpec[]
  readonly outputs: readonly ValueSpec[]
  readonly nodes: readonly NodeSpec[]
  readonly initializers?: readonly TensorSpec[]
  readonly opset?: number
  readonly producer?: string
  readonly docString?: string
}

// AttributeProto.AttributeType
const ATTR_FLOAT = 1
const ATTR_INT = 2
const ATTR_STRING = 3
const ATTR_TENSOR = 4
const ATTR_FLOATS = 6
const ATTR_INTS = 7

function elemTypeOf(data: TensorSpec['data']): number {
  if (data instanceof Float32Array) return ONNX_ELEM_TYPES.float32
  if (data instanceof Int32Array) return ONNX_ELEM_TYPES.int32
  if (data instanceof BigInt64Array) return ONNX_ELEM_TYPES.int64
  return ONNX_ELEM_TYPES.uint8
}

function writeTensor(w: ProtoWriter, t: TensorSpec): void {
  const count = t.dims.reduce((a, b) => a * b, 1)
  if (count !== t.data.length) throw new RangeError(`tensor ${t.name}: dims [${t.dims.join(', ')}] hold ${count} values but data has ${t.data.length}`)
  for (const d of t.dims) w.int(1, d)
  w.int(2, elemTypeOf(t.data))
  w.string(8, t.name)
  // raw_data is little-endian, which every platform onnxruntime-node ships for is.
  w.bytes(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength))
}

function writeAttribute(w: ProtoWriter, name: string, a: AttributeValue): void {
  w.string(1, name)
  if ('int' in a) w.int(3, a.int).int(20, ATTR_INT)
  else if ('ints' in a) {
    for (const v of a.ints) w.int(8, v)
    w.int(20, ATTR_INTS)
  } else if ('float' in a) w.float(2, a.float).int(20, ATTR_FLOAT)
  else if ('floats' in a) {
    for (const v of a.floats) w.float(7, v)
    w.int(20, ATTR_FLOATS)
  } else if ('string' in a) w.string(4, a.string).int(20, ATTR_STRING)
  else w.message(5, (t) => writeTensor(t, a.tensor)).int(20, ATTR_TENSOR)
}

function writeValueInfo(w: ProtoWriter, v: ValueSpec): void {
  w.string(1, v.name)
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, ONNX_ELEM_TYPES[v.elemType])
      tensor.message(2, (shape) => {
        for (const d of v.shape) shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)))
      })
    }),
  )
}

/** Serialises the graph as an ONNX model (IR version 8, default opset 17). */
export function encodeModel(spec: GraphSpec): Uint8Array {
  const w = new ProtoWriter()
  w.int(1, 8) // ir_version
  w.string(2, spec.producer ?? 'spider-bench')
  w.string(3, '0.1.0')
  if (spec.docString) w.string(6, spec.docString)
  w.message(7, (g) => {
    spec.nodes.forEach((n, i) =>
      g.message(1, (node) => {
        for (const input of n.inputs) node.string(1, input)
        for (const output of n.outputs) node.string(2, output)
        node.string(3, n.name ?? `${n.op.toLowerCase()}_${i}`)
        node.string(4, n.op)
        for (const [name, value] of Object.entries(n.attributes ?? {})) node.message(5, (a) => writeAttribute(a, name, value))
      }),
    )
    g.string(2, spec.name)
    for (const t of spec.initializers ?? []) g.message(5, (tw) => writeTensor(tw, t))
    for (const v of spec.inputs) g.message(11, (vw) => writeValueInfo(vw, v))
    for (const v of spec.outputs) g.message(12, (vw) => writeValueInfo(vw, v))
  })
  w.message(8, (o) => o.string(1, '').int(2, spec.opset ?? 17))
  return w.finish()
}
