// Public API of @spider-bench/inference: algorithm submissions (ONNX models) and their execution.
// The example algorithm is @spider-bench/inference/example (it loads the generator).
export * from './config/algorithm-config-schema.ts'
export { parseAlgorithmConfig, parseAlgorithmConfigText, DEFAULT_SIGMA_SCALE } from './config/parse-algorithm-config.ts'
export { AlgorithmValidationError, InferenceError, SAFE_ERROR_CODES, type SafeErrorCode, type InferenceErrorCode } from './errors.ts'
export {
  encodeModel,
  ONNX_ELEM_TYPES,
  type GraphSpec,
  type NodeSpec,
  type TensorSpec,
  type ValueSpec,
  type AttributeValue,
  type ExternalTensorSpec,
  type AnyTensorSpec,
  type SparseTensorSpec,
  type FunctionSpec,
} from './onnx/model-proto.ts'
export { assertNoExternalData, MAX_NESTING } from './onnx/external-data-check.ts'
export { safeErrorText } from './safe-message.ts'
export { encodeConvNet, type ConvLayer, type ConvNetSpec } from './onnx/conv-net.ts'
export { openSession, sessionPatchModel, type OpenSession } from './onnx/session.ts'
export { validateAlgorithm, checkModelSignature, type ValidatedAlgorithm } from './validate-algorithm.ts'
export { predictSeries, type StageTimings } from './predict-series.ts'
export { slidingWindow, type SlidingWindowOptions } from './sliding-window/sliding-window.ts'
export type { Block, PatchModel, PatchOutput } from './sliding-window/patch-model.ts'
export { resampleLinear, resampleNearest, resampledSize } from './preprocess/resample.ts'
export { normalizeIntensities } from './preprocess/normalize.ts'
export { assignLabels } from './postprocess/assign-labels.ts'
export { ModelRunner, type ModelRunnerOptions, type PredictRequest, type PredictResult } from './runner/model-runner.ts'
export type { SeriesTimings } from './runner/protocol.ts'
export { predictDirectory, type PredictDirectoryOptions, type SeriesPrediction } from './predict-directory.ts'
import { ModelRunner as Runner } from './runner/model-runner.ts'
/** Upload validation in a child process (time and memory limits): what the API should call. */
export const validateAlgorithmIsolated = Runner.validate.bind(Runner)
