import type { Image3D } from '@spider-bench/scoring'
import { drawAnatomy, type Anatomy } from './anatomy.ts'
import { drawContrast } from './contrast.ts'
import { synthesizeSignal } from './mr-signal.ts'
import { rngFor } from '@spider-bench/random'
import { renderAnatomy } from './render-anatomy.ts'
import { drawSeriesGrid, type Sequence, type SizeName } from './series-grid.ts'

const IDENTITY = [1, 0, 0, 0, 1, 0, 0, 0, 1] as const

export interface GeneratedSeries {
  readonly anatomy: Anatomy
  readonly image: Image3D
  readonly mask: Image3D
}

/** The study's anatomy: depends on (seed, study) only, so all its series show the same spine. */
export function studyAnatomy(seed: number, study: number): Anatomy {
  return drawAnatomy(rngFor(seed, 'anatomy', study))
}

/** One synthetic series (image + reference mask), a pure function of its arguments. */
export function generateSeries(seed: number, study: number, sequence: Sequence, size: SizeName): GeneratedSeries {
  const anatomy = studyAnatomy(seed, study)
  const tableRng = rngFor(seed, 'table', study)
  const table = [tableRng.uniform(-60, 60), tableRng.uniform(-250, 150), tableRng.uniform(-150, 100)] as const
  const rng = rngFor(seed, 'series', study, sequence, size)
  const grid = drawSeriesGrid(rng, anatomy, sequence, size, table)
  const { labels, tissue } = renderAnatomy(anatomy, grid)
  const lut = drawContrast(rng, anatomy, sequence)
  const pixels = synthesizeSignal(rng, tissue, grid, lut, sequence)
  const geometry = { size: grid.size, spacing: grid.spacing, origin: grid.origin, direction: IDENTITY }
  return {
    anatomy,
    image: { ...geometry, componentType: 'int16', data: pixels },
    mask: { ...geometry, componentType: 'uint8', data: labels },
  }
}
