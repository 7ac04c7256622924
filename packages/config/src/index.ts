export { loadConfig, ConfigError, type Config } from './config.ts'
export {
  loadInferenceLimits,
  InferenceLimitsError,
  INFERENCE_PROVIDERS,
  DEFAULT_INFERENCE_LIMITS,
  type InferenceLimits,
  type InferenceProvider,
} from './inference-limits.ts'
export { defaultLogger, logLevel, setDefaultLogDestination } from './logger.ts'
