import { AlgorithmValidationError } from '../errors.ts'
import { ProtoFormatError, ProtoReader, WIRE } from './proto-reader.ts'

/**
 * Refuses, before onnxruntime sees the model, any tensor stored as external data
 * (TensorProto.data_location = EXTERNAL, or external_data entries) anywhere in a ModelProto:
 * graph initializers, sparse initializers (values and indices), tensor attributes (t, tensors,
 * sparse_tensor, sparse_tensors), subgraph attributes (g, graphs: the bodies of If, Loop and
 * Scan, at any depth), model-local functions (their nodes and default attributes) and the
 * graphs of training_info. onnxruntime resolves an external `location` against the directory
 * of the model file, or against its working directory for a model loaded from bytes, so such
 * a tensor would read a file of the server. Malformed protobuf is refused too, and nesting is
 * capped (MAX_NESTING), so the walk is bounded by the size of the file.
 *
 * Field numbers follow onnx/onnx.proto.
 */

/** Most nested messages (model > graph > node > attribute > graph > ...) accepted. */
export const MAX_NESTING = 64

const NAME_SHOWN = 80

/** Participant-chosen names, quoted and shortened for messages. */
function quote(name: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = name.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?')
  return JSON.stringify(clean.length > NAME_SHOWN ? `${clean.slice(0, NAME_SHOWN)}…` : clean)
}

class Walk {
  constructor(private readonly file: string) {}

  private malformed(reason: string): never {
    throw new AlgorithmValidationError('model', `${this.file}: not a valid ONNX model (${reason})`)
  }

  /** The reader of a message field, after checking its wire type and the nesting depth. */
  private child(r: ProtoReader, depth: number, message: string, field: string): ProtoReader {
    if (r.wire !== WIRE.bytes) this.malformed(`${message}.${field} has wire type ${r.wire}, expected a length-delimited message`)
    if (depth > MAX_NESTING) {
      throw new AlgorithmValidationError(
        'model',
        `${this.file}: the model nests messages more than ${MAX_NESTING} deep (subgraphs within subgraphs); ` +
          `spider-bench accepts at most ${MAX_NESTING}`,
      )
    }
    return r.sub()
  }

  /** First pass over a message: its name-like string fields (for messages), by field number. */
  private strings(r: ProtoReader, fields: readonly number[]): Map<number, string> {
    const out = new Map<number, string>()
    const scan = r.again()
    while (scan.next())
      if (scan.wire === WIRE.bytes && fields.includes(scan.field) && !out.has(scan.field)) out.set(scan.field, scan.text())
    return out
  }

  model(r: ProtoReader): void {
    let graphs = 0
    while (r.next()) {
      if (r.field === 7) {
        graphs++
        this.graph(this.child(r, 2, 'ModelProto', 'graph'), 2, null)
      } else if (r.field === 20) this.trainingInfo(this.child(r, 2, 'ModelProto', 'training_info'), 2)
      else if (r.field === 25) this.function(this.child(r, 2, 'ModelProto', 'functions'), 2)
    }
    if (graphs === 0) this.malformed('it has no graph')
  }

  private trainingInfo(r: ProtoReader, depth: number): void {
    while (r.next()) {
      if (r.field === 1) this.graph(this.child(r, depth + 1, 'TrainingInfoProto', 'initialization'), depth + 1, 'training initialization')
      else if (r.field === 2) this.graph(this.child(r, depth + 1, 'TrainingInfoProto', 'algorithm'), depth + 1, 'training algorithm')
    }
  }

  private function(r: ProtoReader, depth: number): void {
    const names = this.strings(r, [1, 10])
    const where = `function ${quote(`${names.get(10) ? `${names.get(10)}.` : ''}${names.get(1) ?? ''}`)}`
    while (r.next()) {
      if (r.field === 7) this.node(this.child(r, depth + 1, 'FunctionProto', 'node'), depth + 1, where)
      else if (r.field === 11)
        this.attribute(this.child(r, depth + 1, 'FunctionProto', 'attribute_proto'), depth + 1, `default attributes of ${where}`)
    }
  }

  /** `context`: what holds the graph (null for the main graph). */
  private graph(r: ProtoReader, depth: number, context: string | null): void {
    const inside = `graph ${quote(this.strings(r, [2]).get(2) ?? '')}${context ? ` (${context})` : ''}`
    while (r.next()) {
      if (r.field === 1) this.node(this.child(r, depth + 1, 'GraphProto', 'node'), depth + 1, inside)
      else if (r.field === 5) this.tensor(this.child(r, depth + 1, 'GraphProto', 'initializer'), `initializer of ${inside}`)
      else if (r.field === 15)
        this.sparse(this.child(r, depth + 1, 'GraphProto', 'sparse_initializer'), depth + 1, `sparse initializer of ${inside}`)
    }
  }

  private node(r: ProtoReader, depth: number, where: string): void {
    const names = this.strings(r, [3, 4])
    const here = `node ${quote(names.get(3) ?? '')}${names.has(4) ? ` (${quote(names.get(4) ?? '').slice(1, -1)})` : ''} in ${where}`
    while (r.next()) if (r.field === 5) this.attribute(this.child(r, depth + 1, 'NodeProto', 'attribute'), depth + 1, here)
  }

  private attribute(r: ProtoReader, depth: number, where: string): void {
    const here = `attribute ${quote(this.strings(r, [1]).get(1) ?? '')} of ${where}`
    while (r.next()) {
      if (r.field === 5) this.tensor(this.child(r, depth + 1, 'AttributeProto', 't'), here)
      else if (r.field === 10) this.tensor(this.child(r, depth + 1, 'AttributeProto', 'tensors'), here)
      else if (r.field === 6) this.graph(this.child(r, depth + 1, 'AttributeProto', 'g'), depth + 1, `subgraph of ${here}`)
      else if (r.field === 11) this.graph(this.child(r, depth + 1, 'AttributeProto', 'graphs'), depth + 1, `subgraph of ${here}`)
      else if (r.field === 22)
        this.sparse(this.child(r, depth + 1, 'AttributeProto', 'sparse_tensor'), depth + 1, `sparse tensor of ${here}`)
      else if (r.field === 23)
        this.sparse(this.child(r, depth + 1, 'AttributeProto', 'sparse_tensors'), depth + 1, `sparse tensor of ${here}`)
    }
  }

  private sparse(r: ProtoReader, depth: number, where: string): void {
    while (r.next()) {
      if (r.field === 1) this.tensor(this.child(r, depth + 1, 'SparseTensorProto', 'values'), `values of the ${where}`)
      else if (r.field === 2) this.tensor(this.child(r, depth + 1, 'SparseTensorProto', 'indices'), `indices of the ${where}`)
    }
  }

  /** TensorProto: external_data (13) entries or a data_location (14) other than DEFAULT are refused. */
  private tensor(r: ProtoReader, where: string): void {
    let name = ''
    let external = false
    while (r.next()) {
      if (r.field === 8 && r.wire === WIRE.bytes) name = r.text()
      else if (r.field === 13) external = true
      else if (r.field === 14 && (r.wire !== WIRE.varint || r.value !== 0)) external = true
    }
    if (external) {
      const place = where.length > 300 ? `${where.slice(0, 300)}…` : where
      throw new AlgorithmValidationError(
        'model',
        `${this.file}: tensor ${quote(name)} (${place}) ` +
          'is stored as external data (data_location EXTERNAL or external_data entries); ' +
          'external data is not accepted: embed the weights in the .onnx file ' +
          '(e.g. onnx.save_model(model, path, save_as_external_data=False))',
      )
    }
  }
}

/** Throws AlgorithmValidationError when the model holds external data anywhere or is not well-formed protobuf. */
export function assertNoExternalData(bytes: Uint8Array, file = 'model.onnx'): void {
  // onnxruntime loads a buffer with the file identifier "ORTM" at bytes 4-8 as an ORT-format (flatbuffers) model.
  if (bytes.length >= 8 && String.fromCharCode(...bytes.subarray(4, 8)) === 'ORTM') {
    throw new AlgorithmValidationError('model', `${file}: this is an ORT-format model; upload the ONNX (protobuf) model instead`)
  }
  try {
    new Walk(file).model(new ProtoReader(bytes))
  } catch (err) {
    if (err instanceof ProtoFormatError)
      throw new AlgorithmValidationError('model', `${file}: not a valid ONNX model (malformed protobuf: ${err.message})`)
    throw err
  }
}
