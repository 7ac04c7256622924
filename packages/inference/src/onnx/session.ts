import * as ort from 'onnxruntime-node'
import type { ExecutionProvider } from '../config/algorithm-config-schema.ts'
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
}

/**
 * Loads a model with the first execution provider that works. Trying one provider at a
 * time (instead of handing onnxruntime the whole list) tells us which one is in use, and
 * makes a strict single-provider run (the GPU benchmark) fail instead of falling back.
 */
export async function openSession(model: string | Uint8Array, opts: OpenSessionOptions): Promise<OpenSession> {
  const failures: string[] = []
  for (const provider of opts.providers) {
    try {
      const session = await ort.InferenceSession.create(model as string, {
        executionProviders: [provider],
        graphOptimizationLevel: 'all',
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
