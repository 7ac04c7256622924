import type { ProfileName, SeriesResult } from '@spider-bench/scoring'

/** One series to score in a thread: file paths only, the thread reads the images itself. */
export interface ScoreTask {
  readonly id: number
  readonly name: string
  readonly truthPath: string
  readonly predPath: string | null
  readonly profile: ProfileName
}

export type ThreadReply =
  | { readonly id: number; readonly ok: true; readonly result: SeriesResult }
  | { readonly id: number; readonly ok: false; readonly error: { readonly name: string; readonly message: string } }

/** Sent once by a thread when its scoring code is loaded. */
export interface ThreadReady {
  readonly ready: true
}
