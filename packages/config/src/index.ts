export { loadConfig, ConfigError, type Config } from './config.ts'
export { parseStorageUrl, StorageUrlError, type StorageLocation } from './storage-url.ts'
export {
  loadInferenceLimits,
  InferenceLimitsError,
  INFERENCE_PROVIDERS,
  DEFAULT_INFERENCE_LIMITS,
  type InferenceLimits,
  type InferenceProvider,
} from './inference-limits.ts'
export { defaultLogger, logLevel, setDefaultLogDestination } from './logger.ts'
