import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { writeImage } from '@spider-bench/scoring'
import { generateSeries } from './generate-series.ts'
import { perturbMask } from './perturb-mask.ts'
import { previewPng } from './preview.ts'
import { deriveSeed } from '@spider-bench/random'
import type { Sequence, SizeName } from './series-grid.ts'

/** Everything needed to produce one series' files (plain data: it crosses to worker threads). */
export interface SeriesJob {
  readonly out: string
  readonly seed: number
  readonly study: number
  readonly sequence: Sequence
  readonly name: string
  readonly size: SizeName
  readonly predictions: Readonly<Record<string, string>>
  readonly preview: boolean
}

/** What the caller needs back for overview.csv and the result. */
export interface SeriesOutcome {
  readonly name: string
  readonly sex: 'F' | 'M'
  readonly age: number
  readonly size: [number, number, number]
  readonly spacing: [number, number, number]
  readonly labels: number[]
}

/**
 * Generates one series and writes its image, mask, predictions and preview. The work is
 * synchronous up to the writes, whose compression runs on the libuv pool: a caller may start
 * the next job while this one's writes are pending.
 */
export async function runSeriesJob(job: SeriesJob): Promise<SeriesOutcome> {
  const g = generateSeries(job.seed, job.study, job.sequence, job.size)
  const writes: Array<Promise<void>> = [
    writeImage(g.image, join(job.out, 'images', `${job.name}.mha`)),
    writeImage(g.mask, join(job.out, 'masks', `${job.name}.mha`)),
  ]
  for (const [name, spec] of Object.entries(job.predictions)) {
    const pred = perturbMask(g.mask, spec, deriveSeed(job.seed, 'prediction', name, job.name))
    writes.push(writeImage(pred, join(job.out, 'predictions', name, `${job.name}.mha`)))
  }
  if (job.preview) writes.push(writeFile(join(job.out, 'preview', `${job.name}.png`), previewPng(g.image, g.mask)))
  const seen = new Uint8Array(256)
  for (let i = 0; i < g.mask.data.length; i++) seen[g.mask.data[i]] = 1
  const labels: number[] = []
  for (let v = 1; v < 256; v++) if (seen[v]) labels.push(v)
  await Promise.all(writes)
  return {
    name: job.name,
    sex: g.anatomy.sex,
    age: g.anatomy.age,
    size: [...g.image.size] as [number, number, number],
    spacing: [...g.image.spacing] as [number, number, number],
    labels,
  }
}
