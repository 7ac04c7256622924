import type { ValueError } from '@sinclair/typebox/errors'
import { Value } from '@sinclair/typebox/value'
import { AlgorithmValidationError } from '../errors.ts'
import { AlgorithmConfigSchema, type AlgorithmConfig } from './algorithm-config-schema.ts'

/** Default Gaussian sigma as a fraction of the patch size (nnU-Net uses 1/8). */
export const DEFAULT_SIGMA_SCALE = 0.125

function show(value: unknown): string {
  return (JSON.stringify(value) ?? String(value)).slice(0, 100)
}

/**
 * The most specific explanation of a schema error. A union ("Expected union value") says
 * nothing useful, so descend into its variants: when every variant rejects the same `kind`
 * field, list the allowed kinds; otherwise explain the variant that came closest (fewest errors).
 */
function explain(error: ValueError): string {
  const variants = error.errors.map((it) => [...it])
  if (variants.length === 0) return `${error.path || '(root)'}: ${error.message} (got ${show(error.value)})`
  const literals = variants.map((errs) =>
    errs.length === 1 && errs[0].path === error.path && 'const' in errs[0].schema ? errs[0].schema.const : undefined,
  )
  if (literals.every((k) => k !== undefined)) {
    return `${error.path || '(root)'}: must be one of ${literals.map((k) => JSON.stringify(k)).join(', ')} (got ${show(error.value)})`
  }
  const kindPath = `${error.path}/kind`
  const kinds = variants.map((errs) => errs.find((e) => e.path === kindPath && 'const' in e.schema)?.schema.const)
  if (kinds.every((k) => k !== undefined)) {
    return (
      `${kindPath}: must be one of ${kinds.map((k) => JSON.stringify(k)).join(', ')} ` +
      `(got ${show((error.value as { kind?: unknown })?.kind)})`
    )
  }
  const closest = variants
    .filter((errs) => errs.length > 0 && !errs.some((e) => e.path === kindPath))
    .sort((a, b) => a.length - b.length)[0]
  return closest ? explain(closest[0]) : `${error.path || '(root)'}: ${error.message} (got ${show(error.value)})`
}

/**
 * Validates a parsed config.json against the schema, then checks the rules a schema cannot
 * express. Throws `AlgorithmValidationError` naming the field and the offending value.
 */
export function parseAlgorithmConfig(value: unknown, file = 'config.json'): AlgorithmConfig {
  const first = Value.Errors(AlgorithmConfigSchema, value).First()
  if (first) {
    throw new AlgorithmValidationError('config', `${file}: ${explain(first)}`)
  }
  const config = value as AlgorithmConfig
  const fail = (message: string): never => {
    throw new AlgorithmValidationError('config', `${file}: ${message}`)
  }
  if (!config.input.channels.includes('image')) fail(`/input/channels must include "image" (got ${JSON.stringify(config.input.channels)})`)
  const norm = config.normalization
  if (norm.kind === 'percentile-z-score' && !(norm.lower < norm.upper)) {
    fail(`/normalization: lower percentile ${norm.lower} must be below upper percentile ${norm.upper}`)
  }
  const sw = config.slidingWindow
  const border = sw.border ?? [0, 0, 0]
  for (let a = 0; a < 3; a++) {
    const p = sw.patchSize[a]
    const step = Math.max(1, Math.floor(p * (1 - sw.overlap)))
    if (step > p - 2 * border[a]) {
      fail(
        `/slidingWindow: along ${'xyz'[a]} the step ${step} (patch ${p}, overlap ${sw.overlap}) ` +
          `exceeds patch minus both borders (${p} - 2 x ${border[a]}), so some voxels would get no weight`,
      )
    }
  }
  if (config.output.kind === 'labels' && config.mirroring && config.mirroring.axes.length > 0) {
    fail('/mirroring: test-time mirroring averages outputs and needs output.kind "logits" or "probabilities", not "labels"')
  }
  return config
}

/** Reads config JSON text; a syntax error names the file and the parser's reason. */
export function parseAlgorithmConfigText(text: string, file = 'config.json'): AlgorithmConfig {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw new AlgorithmValidationError('config', `${file}: not valid JSON (${(err as Error).message})`)
  }
  return parseAlgorithmConfig(value, file)
}
