import { EXECUTION_PROVIDERS, type ExecutionProvider } from '@spider-bench/inference'

/** Settings of `worker --inference`, read once from the environment and validated. */
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

function whole(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const raw = env[name]?.trim()
  if (raw === undefined || raw === '') return fallback
  if (!/^\d+$/.test(raw) || Number(raw) < min) throw new Error(`${name} must be a whole number >= ${min}, got "${raw}"`)
  return Number(raw)
}

export function loadInferenceConfig(env: NodeJS.ProcessEnv = process.env): InferenceWorkerConfig {
  const raw = env.INFERENCE_PROVIDERS?.trim() || 'cuda,webgpu,cpu'
  const providers = raw.split(',').map((p) => p.trim())
  for (const p of providers) {
    if (!(EXECUTION_PROVIDERS as readonly string[]).includes(p)) throw new Error(`INFERENCE_PROVIDERS: unknown provider "${p}" (expected a list of ${EXECUTION_PROVIDERS.join(', ')})`)
  }
  return {
    timeLimitMs: whole(env, 'INFERENCE_TIME_LIMIT_MS', 600_000, 1000),
    memoryLimitMb: whole(env, 'INFERENCE_MEMORY_LIMIT_MB', 16_384, 256),
    providers: providers as ExecutionProvider[],
    threads: whole(env, 'INFERENCE_THREADS', 0, 0),
  }
}

/** The config's preference order, restricted to what this machine offers; never empty (CPU last resort). */
export function providersFor(preferred: readonly ExecutionProvider[] | undefined, offered: readonly ExecutionProvider[]): ExecutionProvider[] {
  const wanted = (preferred ?? ['cuda', 'cpu']).filter((p) => offered.includes(p))
  return wanted.length > 0 ? wanted : offered.includes('cpu') ? ['cpu'] : [...offered]
}
