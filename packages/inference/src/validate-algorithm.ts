import { readFile } from 'node:fs/promises'
import * as ort from 'onnxruntime-node'
import type { AlgorithmConfig } from './config/algorithm-config-schema.ts'
import { parseAlgorithmConfig } from './config/parse-algorithm-config.ts'
import { AlgorithmValidationError } from './errors.ts'
import { openSession, sessionPatchModel } from './onnx/session.ts'
import { safeErrorText } from './safe-message.ts'

export interface ValidatedAlgorithm {
  readonly config: AlgorithmConfig
  readonly inputName: string
  readonly outputName: string
}

const LABEL_TYPES = new Set(['float32', 'int32', 'int64', 'uint8', 'int8', 'uint16', 'int16'])

function describeShape(shape: readonly (number | string)[]): string {
  return `[${shape.map((d) => (typeof d === 'number' ? String(d) : JSON.stringify(d))).join(', ')}]`
}

/** The model's tensor names and shapes must agree with the config; throws naming the mismatch. */
export function checkModelSignature(
  session: ort.InferenceSession,
  config: AlgorithmConfig,
  file = 'model.onnx',
): { inputName: string; outputName: string } {
  const fail: (message: string) => never = (message) => {
    throw new AlgorithmValidationError('model', `${file}: ${message}`)
  }
  const inputs = session.inputMetadata
  if (inputs.length !== 1)
    fail(`the model has ${inputs.length} inputs (${session.inputNames.join(', ')}); spider-bench feeds exactly one image tensor`)
  const input = inputs[0]
  if (config.input.name !== undefined && config.input.name !== input.name)
    fail(`config input.name is "${config.input.name}" but the model's input is "${input.name}"`)
  const outputName = config.output.name ?? session.outputNames[0]
  const output = session.outputMetadata.find((o) => o.name === outputName)
  if (!output)
    return fail(`config output.name is "${outputName}" but the model's outputs are ${session.outputNames.map((n) => `"${n}"`).join(', ')}`)
  if (!input.isTensor || !output.isTensor) return fail('model input and output must be tensors')

  const [pxs, pys, pzs] = config.slidingWindow.patchSize
  const patchZyx = [pzs, pys, pxs]
  const checkSpatial = (what: string, shape: readonly (number | string)[]) => {
    for (let i = 0; i < 3; i++) {
      const d = shape[2 + i]
      if (typeof d === 'number' && d !== patchZyx[i]) {
        fail(
          `${what} "${what === 'input' ? input.name : output.name}" has shape ${describeShape(shape)}: ` +
            `dimension ${2 + i} (${'zyx'[i]}) is ${d} but slidingWindow.patchSize gives ${patchZyx[i]} ` +
            '(tensors are [batch, channel, z, y, x])',
        )
      }
    }
  }
  if (input.type !== 'float32') fail(`input "${input.name}" has element type ${input.type}; expected float32`)
  if (input.shape.length !== 5)
    fail(`input "${input.name}" has rank ${input.shape.length} ${describeShape(input.shape)}; expected rank 5 [batch, channel, z, y, x]`)
  if (typeof input.shape[0] === 'number' && input.shape[0] !== 1)
    fail(`input "${input.name}" has batch dimension ${input.shape[0]}; expected 1 or symbolic`)
  if (input.shape[1] !== config.input.channels.length) {
    fail(
      `input "${input.name}" has ${describeShape(input.shape)}: channel dimension ${JSON.stringify(input.shape[1])} ` +
        `but config input.channels lists ${config.input.channels.length} (${config.input.channels.join(', ')})`,
    )
  }
  checkSpatial('input', input.shape)

  const channels = config.output.kind === 'labels' ? 1 : config.output.channels.length
  if (config.output.kind === 'labels') {
    if (!LABEL_TYPES.has(output.type))
      fail(`output "${output.name}" has element type ${output.type}; a label map must be an integer or float32 tensor`)
  } else if (output.type !== 'float32') {
    fail(`output "${output.name}" has element type ${output.type}; ${config.output.kind} must be float32`)
  }
  if (output.shape.length !== 5)
    fail(
      `output "${output.name}" has rank ${output.shape.length} ${describeShape(output.shape)}; expected rank 5 [batch, channel, z, y, x]`,
    )
  if (typeof output.shape[1] === 'number' && output.shape[1] !== channels) {
    fail(
      `output "${output.name}" has ${output.shape[1]} channels ${describeShape(output.shape)} ` +
        `but the config's output (${config.output.kind}) needs ${channels}`,
    )
  }
  checkSpatial('output', output.shape)
  return { inputName: input.name, outputName: output.name }
}

/**
 * Upload-time validation of an algorithm submission, before any hidden data is touched: the
 * config validates, the model holds no external data (assertNoExternalData), loads in
 * onnxruntime-node (CPU), its input and output match the config (rank, element type,
 * channels, patch size), and one all-zero patch runs and yields the declared output shape
 * with finite values. Throws `AlgorithmValidationError`; onnxruntime's own text reaches its
 * message only through safeErrorText (no server paths, no value dumps) and is kept whole in
 * `detail`.
 */
export async function validateAlgorithm(model: string | Uint8Array, config: unknown, file = 'model.onnx'): Promise<ValidatedAlgorithm> {
  const parsed = parseAlgorithmConfig(config)
  let bytes: Uint8Array
  try {
    bytes = typeof model === 'string' ? await readFile(model) : model
  } catch (err) {
    const raw = (err as Error).message
    throw new AlgorithmValidationError('model', `${file}: cannot read the file (${safeErrorText(raw)})`, raw)
  }
  let session: ort.InferenceSession
  try {
    session = (await openSession(bytes, { providers: ['cpu'], threads: 1, file })).session
  } catch (err) {
    if (err instanceof AlgorithmValidationError) throw err
    const raw = (err as Error).message
    throw new AlgorithmValidationError('model', `${file}: onnxruntime cannot load the model (${safeErrorText(raw)})`, raw)
  }
  try {
    const names = checkModelSignature(session, parsed, file)
    const [px, py, pz] = parsed.slidingWindow.patchSize
    const channels = parsed.output.kind === 'labels' ? 1 : parsed.output.channels.length
    const dims = [1, parsed.input.channels.length, pz, py, px] as const
    let out
    try {
      out = await sessionPatchModel(session, names.inputName, names.outputName).run(new Float32Array(dims.reduce((a, b) => a * b, 1)), dims)
    } catch (err) {
      const raw = (err as Error).message
      throw new AlgorithmValidationError(
        'model',
        `${file}: running one all-zero patch ${describeShape(dims)} failed (${safeErrorText(raw)})`,
        raw,
      )
    }
    const expected = [1, channels, pz, py, px]
    if (out.dims.length !== 5 || out.dims.some((d, i) => d !== expected[i])) {
      throw new AlgorithmValidationError(
        'model',
        `${file}: on an all-zero patch the output "${names.outputName}" has dims ${describeShape(out.dims)}, ` +
          `expected ${describeShape(expected)}`,
      )
    }
    for (let i = 0; i < out.data.length; i++) {
      if (!Number.isFinite(Number(out.data[i])))
        throw new AlgorithmValidationError(
          'model',
          `${file}: on an all-zero patch the output "${names.outputName}" holds ${Number(out.data[i])} at flat index ${i}`,
        )
    }
    return { config: parsed, ...names }
  } finally {
    await session.release()
  }
}
