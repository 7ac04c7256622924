import type { AlgorithmConfig, ExecutionProvider } from '../config/algorithm-config-schema.ts'
import type { InferenceErrorCode } from '../errors.ts'
import type { StageTimings } from '../predict-series.ts'

/** Messages between the worker (parent) and the model process (child), over the IPC channel. Paths only, never pixels. */
export type ParentMessage =
  | {
      readonly type: 'load'
      readonly modelPath: string
      readonly config: AlgorithmConfig
      readonly providers: readonly ExecutionProvider[]
      readonly threads?: number
    }
  | { readonly type: 'predict'; readonly id: number; readonly imagePath: string; readonly outPath: string; readonly sequence: string }
  | { readonly type: 'validate'; readonly modelPath: string; readonly config: unknown; readonly file: string }

export interface SeriesTimings extends StageTimings {
  read: number
  write: number
  total: number
}

export type ChildMessage =
  | { readonly type: 'loaded'; readonly provider: ExecutionProvider }
  | { readonly type: 'done'; readonly id: number; readonly timings: SeriesTimings; readonly voxels: number }
  | { readonly type: 'failed'; readonly id?: number; readonly code: InferenceErrorCode; readonly message: string }
  | { readonly type: 'validated'; readonly config: AlgorithmConfig; readonly inputName: string; readonly outputName: string }
  | { readonly type: 'invalid'; readonly part: 'config' | 'model'; readonly message: string; readonly detail?: string }
