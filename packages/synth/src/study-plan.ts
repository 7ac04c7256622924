import { rngFor } from '@spider-bench/random'
import { SEQUENCES, type Sequence } from './series-grid.ts'

/** The hidden SPIDER test set: 39 studies, 19 of them with a T2-SPACE series too. */
const SPACE_SHARE = 19 / 39
/** Share of validation studies in the public SPIDER split (39 of 218). */
const VALIDATION_SHARE = 39 / 218

export interface PlannedSeries {
  readonly name: string
  readonly study: number
  readonly sequence: Sequence
  readonly split: 'training' | 'validation'
}

/**
 * Which series exist: every study has T1 and T2, a seeded share of about 19/39 also T2-SPACE
 * (exactly 19 of 39 by default); `sequences` filters. Study ids are 1..studies.
 */
export function planSeries(seed: number, studies: number, sequences: readonly Sequence[]): PlannedSeries[] {
  const rng = rngFor(seed, 'plan')
  const ids = Array.from({ length: studies }, (_, i) => i + 1)
  const spaceCount = Math.min(studies, Math.max(1, Math.round(studies * SPACE_SHARE)))
  const withSpace = new Set(rng.shuffle(ids).slice(0, spaceCount))
  const validation = new Set(rng.shuffle(ids).slice(0, Math.round(studies * VALIDATION_SHARE)))
  const out: PlannedSeries[] = []
  for (const study of ids) {
    for (const sequence of SEQUENCES) {
      if (!sequences.includes(sequence)) continue
      if (sequence === 't2_SPACE' && !withSpace.has(study)) continue
      out.push({ name: `${study}_${sequence}`, study, sequence, split: validation.has(study) ? 'validation' : 'training' })
    }
  }
  return out
}
