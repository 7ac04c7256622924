import { safeErrorText } from './safe-message.ts'

/**
 * Errors of algorithm submissions. `AlgorithmValidationError` is an upload problem the
 * participant must fix (the API answers 422 with its message, which never holds raw
 * onnxruntime text or a server path; `detail` keeps the raw text for the server log).
 * `InferenceError` is a failure while running a model; its `code` is the only thing reported
 * for hidden series, because a message may be derived from hidden pixels.
 */
export class AlgorithmValidationError extends Error {
  override name = 'AlgorithmValidationError'
  constructor(
    /** Which part is wrong: the config file or the model file. */
    readonly part: 'config' | 'model',
    message: string,
    /** Raw error text behind the message (onnxruntime's, a process's stderr), for the server log only. */
    readonly detail?: string,
  ) {
    super(message)
  }
}

/** Codes that are safe to show for a hidden series (they reveal nothing about its pixels). */
export const SAFE_ERROR_CODES = ['timeout', 'out-of-memory', 'output-shape-mismatch', 'non-finite-output'] as const
export type SafeErrorCode = (typeof SAFE_ERROR_CODES)[number]

/** `model-error`: the model failed otherwise (onnxruntime error, crash of the child process). */
export type InferenceErrorCode = SafeErrorCode | 'model-error'

const SAFE_MESSAGES: Record<InferenceErrorCode, string> = {
  timeout: 'the model exceeded the time limit for this series',
  'out-of-memory': 'the model exceeded the memory limit',
  'output-shape-mismatch': 'the model output does not have the shape the config declares',
  'non-finite-output': 'the model output contains NaN or infinite values',
  'model-error': 'the model failed on this series',
}

export class InferenceError extends Error {
  override name = 'InferenceError'
  constructor(
    readonly code: InferenceErrorCode,
    message: string,
  ) {
    super(message)
  }

  /**
   * The message to show: for public (canary) series the message without server paths or value
   * dumps (safeErrorText), for hidden ones the fixed text of the code.
   */
  reportFor(visibility: 'public' | 'hidden'): string {
    return visibility === 'public' ? `${this.code}: ${safeErrorText(this.message)}` : `${this.code}: ${SAFE_MESSAGES[this.code]}`
  }
}
