import type { ProfileName, ScoreOptions } from '@spider-bench/scoring'

/** One series to score: file paths only, the thread reads the images itself. */
export interface ScoreInput {
  readonly name: string
  readonly truthPath: string
  readonly predPath: string | null
  readonly profile: ProfileName
  /** How messages name the prediction (its upload name, never a storage path). */
  readonly predLabel?: string
  /** The prediction label cap and memory bounds of the scorer. */
  readonly options?: ScoreOptions
}
