import type { ProfileName } from './profiles/profile.ts'
import type { Sequence } from './sequence.ts'
import type { StructureClass } from './structures.ts'

/** Per-structure values of a series (SCORING.md result document). */
export interface StructureResult {
  /** Reference label value. */
  readonly label: number
  readonly class: StructureClass
  /** Prediction label value matched to it, null when unmatched. */
  readonly matchedLabel: number | null
  readonly dice: number
  /** Null when not computed: unmatched, or (profile spider) not detected. */
  readonly asd: number | null
  /** Null when not computed: unmatched, not detected, or profile spider-official. */
  readonly hd95: number | null
  readonly detected: boolean
}

/** One series' result; metric values that do not exist (NaN in the official scorer) are null. */
export interface SeriesResult {
  readonly name: string
  readonly sequence: Sequence
  readonly status: 'scored' | 'error'
  readonly error?: string
  readonly metrics: Record<string, number | null>
  readonly structures: StructureResult[]
}

/** Aggregate of one metric over series, skipping nulls. */
export interface MetricAggregate {
  readonly mean: number | null
  /** Sample standard deviation (n-1); null with fewer than two values. */
  readonly std: number | null
  readonly median: number | null
  readonly min: number | null
  readonly max: number | null
  readonly count: number
}

export type Aggregates = Record<string, MetricAggregate>

export interface ResultDocument {
  readonly profile: ProfileName
  readonly scorerVersion: string
  readonly aggregates: Aggregates
  readonly bySequence: Partial<Record<Sequence, Aggregates>>
  readonly series: SeriesResult[]
}
