/**
 * The resources an algorithm gets, per test series: read from the environment by the API
 * (the phase document states them) and by the workers (the inference worker enforces them,
 * the watchdog derives from them how long an evaluation may go without progress).
 */
export interface InferenceLimits {
  /** Wall-clock limit per series (INFERENCE_TIME_LIMIT_MS); the model process is killed on breach. */
  readonly timeLimitMs: number
  /** Resident memory limit of the model process, MiB (INFERENCE_MEMORY_LIMIT_MB). */
  readonly memoryLimitMb: number
  /** Execution providers offered, in preference order (INFERENCE_PROVIDERS). */
  readonly providers: readonly InferenceProvider[]
}

/** Execution providers onnxruntime-node can be asked for (the algorithm config's `executionProviders`). */
export const INFERENCE_PROVIDERS = ['cuda', 'webgpu', 'cpu'] as const
export type InferenceProvider = (typeof INFERENCE_PROVIDERS)[number]

export const DEFAULT_INFERENCE_LIMITS: InferenceLimits = {
  timeLimitMs: 600_000,
  memoryLimitMb: 16_384,
  providers: ['cuda', 'webgpu', 'cpu'],
}

/** A configuration problem of the inference limits; the message names the variable and its value. */
export class InferenceLimitsError extends Error {
  override name = 'InferenceLimitsError'
}

function whole(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const raw = env[name]?.trim()
  if (raw === undefined || raw === '') return fallback
  if (!/^\d+$/.test(raw) || Number(raw) < min) throw new InferenceLimitsError(`${name} must be a whole number >= ${min}, got "${raw}"`)
  return Number(raw)
}

export function loadInferenceLimits(env: NodeJS.ProcessEnv = process.env): InferenceLimits {
  const raw = env.INFERENCE_PROVIDERS?.trim() || DEFAULT_INFERENCE_LIMITS.providers.join(',')
  const providers = raw.split(',').map((p) => p.trim())
  for (const p of providers) {
    if (!(INFERENCE_PROVIDERS as readonly string[]).includes(p))
      throw new InferenceLimitsError(`INFERENCE_PROVIDERS: unknown provider "${p}" (expected a list of ${INFERENCE_PROVIDERS.join(', ')})`)
  }
  return {
    timeLimitMs: whole(env, 'INFERENCE_TIME_LIMIT_MS', DEFAULT_INFERENCE_LIMITS.timeLimitMs, 1000),
    memoryLimitMb: whole(env, 'INFERENCE_MEMORY_LIMIT_MB', DEFAULT_INFERENCE_LIMITS.memoryLimitMb, 256),
    providers: providers as InferenceProvider[],
  }
}
