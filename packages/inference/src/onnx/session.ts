import { readFile } from 'node:fs/promises'
import * as ort from 'onnxruntime-node'
import type { ExecutionProvider } from '../config/algorithm-config-schema.ts'
import { assertNoExternalData } from './external-data-check.ts'
import type { OutputArray, PatchModel } from '../sliding-window/patch-model.ts'

export interface OpenSession {
  readonly session: ort.InferenceSession
  /** The provider that loaded the model (the first of the list that worked). */
  readonly provider: ExecutionProvider
}

export interface OpenSessionOptions {
  /** Tried in order; the first that creates a session wins. */
  readonly providers: readonly ExecutionProvider[]
  /** CPU threads for onnxruntime (default: onnxruntime's choice). */
  readonly threads?: number
  /** The model's file name in messages (default "model.onnx"). */
  readonly file?: string
}

/**
 * Loads a model with the first execution provider that works. Trying one provider at a
 * time (instead of handing onnxruntime the whole list) tells us which one is in use, and
 * makes a strict single-provider run (the GPU benchmark) fail instead of falling back.
 *
 * The model is always handed to onnxruntime as bytes, after assertNoExternalData: a tensor
 * stored as external data would make onnxruntime read a file of the server (throws
 * AlgorithmValidationError, as does malformed protobuf).
 */
export async function openSession(model: string | Uint8Array, opts: OpenSessionOptions): Promise<OpenSession> {
  const bytes = typeof model === 'string' ? await readFile(model) : model
  assertNoExternalData(bytes, opts.file)
  const failures: string[] = []
  for (const provider of opts.providers) {
    try {
      const session = await ort.InferenceSession.create(bytes, {
        executionProviders: [provider],
        graphOptimizationLevel: 'all',
        // Failures come back as exceptions; onnxruntime's own log would print them (and the
        // tensor values in them) to stderr once more.
        logSeverityLevel: 4,
        ...(opts.threads ? { intraOpNumThreads: opts.threads, interOpNumThreads: 1 } : {}),
      })
      return { session, provider }
    } catch (err) {
      failures.push(`${provider}: ${(err as Error).message}`)
    }
  }
  throw new Error(`no execution provider could load the model (${failures.join('; ')})`)
}

/** Adapts a session to the sliding window: one input tensor in, one named output back. */
export function sessionPatchModel(session: ort.InferenceSession, inputName: string, outputName: string): PatchModel {
  return {
    async run(data, dims) {
      const feeds = { [inputName]: new ort.Tensor('float32', data, [...dims]) }
      const result = await session.run(feeds, [outputName])
      const out = result[outputName]
      const values = out.data
      if (typeof values[0] === 'string' || Array.isArray(values)) throw new Error(`output ${outputName} is not numeric`)
      return { data: values as OutputArray, dims: out.dims }
    },
  }
}
