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

/**
 * A tensor whose values lie in a file next to the model (TensorProto.data_location = EXTERNAL
 * with external_data entries). spider-bench refuses such models; the writer encodes them so
 * that tests can build the attack.
 */
export interface ExternalTensorSpec {
  readonly name: string
  readonly dims: readonly number[]
  readonly elemType: OnnxElemType
  readonly external: { readonly location: string; readonly offset?: number; readonly length?: number }
  /** Write the external_data entries but leave data_location at DEFAULT (default: false). */
  readonly omitDataLocation?: boolean
}

export type AnyTensorSpec = TensorSpec | ExternalTensorSpec

/** SparseTensorProto: `values` at `indices` of a tensor of shape `dims`. */
export interface SparseTensorSpec {
  readonly values: AnyTensorSpec
  readonly indices: AnyTensorSpec
  readonly dims: readonly number[]
}

export type AttributeValue =
  | { readonly int: number }
  | { readonly ints: readonly number[] }
  | { readonly float: number }
  | { readonly floats: readonly number[] }
  | { readonly string: string }
  | { readonly tensor: AnyTensorSpec }
  | { readonly tensors: readonly AnyTensorSpec[] }
  | { readonly sparseTensor: SparseTensorSpec }
  /** A subgraph (the bodies of If, Loop, Scan). */
  | { readonly graph: GraphSpec }
  | { readonly graphs: readonly GraphSpec[] }

export interface NodeSpec {
  readonly op: string
  readonly inputs: readonly string[]
  readonly outputs: readonly string[]
  readonly name?: string
  /** Operator domain (default: the ONNX domain ""); a model-local function is called by its domain and name. */
  readonly domain?: string
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
  readonly initializers?: readonly AnyTensorSpec[]
  readonly sparseInitializers?: readonly SparseTensorSpec[]
  readonly opset?: number
  readonly producer?: string
  readonly docString?: string
  /** Model-local functions (ModelProto.functions); their domains are imported at version 1. */
  readonly functions?: readonly FunctionSpec[]
}

/** FunctionProto: a named operator defined by a body of nodes. */
export interface FunctionSpec {
  readonly name: string
  readonly domain: string
  readonly inputs: readonly string[]
  readonly outputs: readonly string[]
  readonly nodes: readonly NodeSpec[]
  /** ONNX opset the body uses (default: the model's). */
  readonly opset?: number
}

// AttributeProto.AttributeType
const ATTR_FLOAT = 1
const ATTR_INT = 2
const ATTR_STRING = 3
const ATTR_TENSOR = 4
const ATTR_GRAPH = 5
const ATTR_FLOATS = 6
const ATTR_INTS = 7
const ATTR_TENSORS = 9
const ATTR_GRAPHS = 10
const ATTR_SPARSE_TENSOR = 11
/** TensorProto.DataLocation.EXTERNAL */
const DATA_LOCATION_EXTERNAL = 1

function elemTypeOf(data: TensorSpec['data']): number {
  if (data instanceof Float32Array) return ONNX_ELEM_TYPES.float32
  if (data instanceof Int32Array) return ONNX_ELEM_TYPES.int32
  if (data instanceof BigInt64Array) return ONNX_ELEM_TYPES.int64
  return ONNX_ELEM_TYPES.uint8
}

function writeTensor(w: ProtoWriter, t: AnyTensorSpec): void {
  if ('external' in t) {
    for (const d of t.dims) w.int(1, d)
    w.int(2, ONNX_ELEM_TYPES[t.elemType])
    w.string(8, t.name)
    const entries: Array<[string, string]> = [['location', t.external.location]]
    if (t.external.offset !== undefined) entries.push(['offset', String(t.external.offset)])
    if (t.external.length !== undefined) entries.push(['length', String(t.external.length)])
    for (const [key, value] of entries) w.message(13, (e) => e.string(1, key).string(2, value))
    if (!t.omitDataLocation) w.int(14, DATA_LOCATION_EXTERNAL)
    return
  }
  const count = t.dims.reduce((a, b) => a * b, 1)
  if (count !== t.data.length)
    throw new RangeError(`tensor ${t.name}: dims [${t.dims.join(', ')}] hold ${count} values but data has ${t.data.length}`)
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
  else if ('tensor' in a) w.message(5, (t) => writeTensor(t, a.tensor)).int(20, ATTR_TENSOR)
  else if ('tensors' in a) {
    for (const t of a.tensors) w.message(10, (tw) => writeTensor(tw, t))
    w.int(20, ATTR_TENSORS)
  } else if ('sparseTensor' in a) w.message(22, (s) => writeSparseTensor(s, a.sparseTensor)).int(20, ATTR_SPARSE_TENSOR)
  else if ('graph' in a) w.message(6, (g) => writeGraph(g, a.graph)).int(20, ATTR_GRAPH)
  else {
    for (const g of a.graphs) w.message(11, (gw) => writeGraph(gw, g))
    w.int(20, ATTR_GRAPHS)
  }
}

function writeSparseTensor(w: ProtoWriter, s: SparseTensorSpec): void {
  w.message(1, (t) => writeTensor(t, s.values))
  w.message(2, (t) => writeTensor(t, s.indices))
  for (const d of s.dims) w.int(3, d)
}

function writeNode(w: ProtoWriter, n: NodeSpec, i: number): void {
  for (const input of n.inputs) w.string(1, input)
  for (const output of n.outputs) w.string(2, output)
  w.string(3, n.name ?? `${n.op.toLowerCase()}_${i}`)
  w.string(4, n.op)
  for (const [name, value] of Object.entries(n.attributes ?? {})) w.message(5, (a) => writeAttribute(a, name, value))
  if (n.domain) w.string(7, n.domain)
}

function writeGraph(g: ProtoWriter, spec: GraphSpec): void {
  spec.nodes.forEach((n, i) => g.message(1, (node) => writeNode(node, n, i)))
  g.string(2, spec.name)
  for (const t of spec.initializers ?? []) g.message(5, (tw) => writeTensor(tw, t))
  for (const v of spec.inputs) g.message(11, (vw) => writeValueInfo(vw, v))
  for (const v of spec.outputs) g.message(12, (vw) => writeValueInfo(vw, v))
  for (const s of spec.sparseInitializers ?? []) g.message(15, (sw) => writeSparseTensor(sw, s))
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
  w.message(7, (g) => writeGraph(g, spec))
  const opset = spec.opset ?? 17
  w.message(8, (o) => o.string(1, '').int(2, opset))
  const domains = [...new Set((spec.functions ?? []).map((f) => f.domain))]
  for (const domain of domains) w.message(8, (o) => o.string(1, domain).int(2, 1))
  for (const f of spec.functions ?? []) {
    w.message(25, (fw) => {
      fw.string(1, f.name)
      for (const input of f.inputs) fw.string(4, input)
      for (const output of f.outputs) fw.string(5, output)
      f.nodes.forEach((n, i) => fw.message(7, (node) => writeNode(node, n, i)))
      fw.message(9, (o) => o.string(1, '').int(2, f.opset ?? opset))
      fw.string(10, f.domain)
    })
  }
  return w.finish()
}
