// Test and benchmark helpers of @spider-bench/inference (not part of the runtime API).
export { cachedExampleAlgorithm } from './example-cache.ts'
export { fastModel, slowModel, nanModel, halfSizeModel, memoryHogModel } from './test-models.ts'
export { referenceConv, randomLayer } from './reference-conv.ts'
export { modelProcessesOf, isAlive, type ModelProcess } from './model-processes.ts'
export {
  externalDataAttackModel,
  shapeDump,
  EXTERNAL_DATA_VARIANTS,
  EXTERNAL_ATTACK_CONFIG,
  type ExternalDataVariant,
} from './external-data-models.ts'
