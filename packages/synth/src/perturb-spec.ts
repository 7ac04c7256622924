/**
 * Prediction recipes: SPEC is a comma-separated list of OP[:ARG], applied left to right to a
 * reference mask (see perturb-mask.ts and the README section "Synthetic data").
 */
export type DropTarget = 'vertebra' | 'disc' | 'canal'

export type PerturbOp =
  | { readonly op: 'identity' }
  | { readonly op: 'relabel' }
  | { readonly op: 'dilate'; readonly k: number }
  | { readonly op: 'erode'; readonly k: number }
  | { readonly op: 'shift'; readonly k: number }
  | { readonly op: 'drop'; readonly target: DropTarget }
  | { readonly op: 'merge' }
  | { readonly op: 'split' }
  | { readonly op: 'fp'; readonly n: number }
  | { readonly op: 'noise'; readonly p: number }

/** One line per OP, for --help and error messages. */
export const PERTURB_OPS_HELP: readonly string[] = [
  'identity       the reference mask unchanged (a perfect prediction)',
  'relabel        every label value replaced by a distinct random value (matching is by overlap)',
  'dilate:K       every structure grows by K voxels into the background (6-connected steps)',
  'erode:K        every structure loses K voxel layers at its border with other values (6-connected)',
  'shift:K        the whole mask moves K voxels along the image y axis (the spine axis; K < 0 moves down)',
  'drop:vertebra  one random vertebra (labels 1-99) removed; also drop:disc (one disc), drop:canal',
  'merge          two random neighbouring vertebrae i, i+1 get the same label',
  'split          one random vertebra split in two labels at its centre along the spine axis',
  'fp:N           N false-positive blobs (new labels) placed in the background',
  'noise:P        each boundary voxel takes a neighbouring value with probability P (0 < P <= 1)',
]

export class PerturbSpecError extends Error {
  override name = 'PerturbSpecError'
}

const INT = /^[+-]?\d+$/

function intArg(spec: string, op: string, arg: string | undefined, min: number, max: number): number {
  if (arg === undefined || !INT.test(arg))
    throw new PerturbSpecError(`"${spec}": ${op} needs an integer argument (${op}:K), got ${arg === undefined ? 'none' : `"${arg}"`}`)
  const k = Number(arg)
  if (k < min || k > max) throw new PerturbSpecError(`"${spec}": ${op}:${arg} is out of range (${min} to ${max})`)
  return k
}

/** Parses a SPEC; throws PerturbSpecError naming the spec, the OP and what is wrong. */
export function parsePerturbSpec(spec: string): PerturbOp[] {
  const parts = spec.split(',').map((p) => p.trim())
  if (spec.trim() === '' || parts.some((p) => p === ''))
    throw new PerturbSpecError(`"${spec}": empty operation in SPEC (expected OP[:ARG],OP[:ARG],...)`)
  const ops: PerturbOp[] = []
  let relabelled = false
  for (const part of parts) {
    const colon = part.indexOf(':')
    const name = colon < 0 ? part : part.slice(0, colon)
    const arg = colon < 0 ? undefined : part.slice(colon + 1)
    const noArg = (): void => {
      if (arg !== undefined) throw new PerturbSpecError(`"${spec}": ${name} takes no argument, got "${part}"`)
    }
    const needsClasses = (): void => {
      if (relabelled) throw new PerturbSpecError(`"${spec}": ${name} must come before relabel (it relies on the reference label values)`)
    }
    switch (name) {
      case 'identity':
        noArg()
        ops.push({ op: 'identity' })
        break
      case 'relabel':
        noArg()
        relabelled = true
        ops.push({ op: 'relabel' })
        break
      case 'dilate':
      case 'erode':
        ops.push({ op: name, k: intArg(spec, name, arg, 1, 20) })
        break
      case 'shift': {
        const k = intArg(spec, name, arg, -100, 100)
        if (k === 0) throw new PerturbSpecError(`"${spec}": shift:0 does nothing; use a non-zero K`)
        ops.push({ op: 'shift', k })
        break
      }
      case 'drop':
        needsClasses()
        if (arg !== 'vertebra' && arg !== 'disc' && arg !== 'canal') {
          throw new PerturbSpecError(
            `"${spec}": drop needs vertebra, disc or canal (drop:disc), got ${arg === undefined ? 'none' : `"${arg}"`}`,
          )
        }
        ops.push({ op: 'drop', target: arg })
        break
      case 'merge':
      case 'split':
        noArg()
        needsClasses()
        ops.push({ op: name })
        break
      case 'fp':
        ops.push({ op: 'fp', n: intArg(spec, name, arg, 1, 50) })
        break
      case 'noise': {
        const p = arg === undefined ? NaN : Number(arg)
        if (arg === undefined || arg.trim() === '' || !Number.isFinite(p) || p <= 0 || p > 1) {
          throw new PerturbSpecError(
            `"${spec}": noise needs a probability 0 < P <= 1 (noise:0.2), got ${arg === undefined ? 'none' : `"${arg}"`}`,
          )
        }
        ops.push({ op: 'noise', p })
        break
      }
      default:
        throw new PerturbSpecError(
          `"${spec}": unknown operation "${name}" ` +
            '(known: identity, relabel, dilate:K, erode:K, shift:K, drop:vertebra|disc|canal, merge, split, fp:N, noise:P)',
        )
    }
  }
  return ops
}
