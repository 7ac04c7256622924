import type { ProfileName, ScoreOptions, SeriesResult } from '@spider-bench/scoring'

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

/** A ScoreInput as sent to a thread. */
export interface ScoreTask extends ScoreInput {
  readonly id: number
}

export type ThreadReply =
  | { readonly id: number; readonly ok: true; readonly result: SeriesResult }
  | { readonly id: number; readonly ok: false; readonly error: { readonly name: string; readonly message: string } }

/** Sent once by a thread when its scoring code is loaded. */
export interface ThreadReady {
  readonly ready: true
}
