import type { SeriesResult } from './result.ts'

/** What a scoring worker answers for one task. */
export type WorkerReply =
  | { readonly id: number; readonly result: SeriesResult }
  | { readonly id: number; readonly error: { imageError: boolean; message: string; file?: string; problem?: string } }
