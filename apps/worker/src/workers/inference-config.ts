import { loadInferenceLimits } from '@spider-bench/config'
import type { ExecutionProvider } from '@spider-bench/inference'

/** Settings of the inference worker, read once from the environment and validated. */
export interface InferenceWorkerConfig {
  /** Wall-clock limit per series (model process killed on breach). */
  readonly timeLimitMs: number
  /** Resident memory limit of the model process, MiB (killed on breach). */
  readonly memoryLimitMb: number
  /** Providers this machine offers, in order; intersected with the config's preference. */
  readonly providers: readonly ExecutionProvider[]
  /** onnxruntime CPU threads (0: onnxruntime's choice). */
  readonly threads: number
}

/** The limits the API states in phase documents (packages/config), plus this machine's thread count. */
export function loadInferenceConfig(env: NodeJS.ProcessEnv = process.env): InferenceWorkerConfig {
  const limits = loadInferenceLimits(env)
  const raw = env.INFERENCE_THREADS?.trim()
  if (raw !== undefined && raw !== '' && !/^\d+$/.test(raw)) throw new Error(`INFERENCE_THREADS must be a whole number >= 0, got "${raw}"`)
  return {
    timeLimitMs: limits.timeLimitMs,
    memoryLimitMb: limits.memoryLimitMb,
    providers: [...limits.providers],
    threads: raw ? Number(raw) : 0,
  }
}

/** The config's preference order, restricted to what this machine offers; never empty (CPU last resort). */
export function providersFor(
  preferred: readonly ExecutionProvider[] | undefined,
  offered: readonly ExecutionProvider[],
): ExecutionProvider[] {
  const wanted = (preferred ?? ['cuda', 'cpu']).filter((p) => offered.includes(p))
  return wanted.length > 0 ? wanted : offered.includes('cpu') ? ['cpu'] : [...offered]
}
