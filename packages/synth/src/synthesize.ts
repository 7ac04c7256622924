import { mkdir, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { availableParallelism } from 'node:os'
import { overviewCsv, type OverviewRow } from './overview-csv.ts'
import { parsePerturbSpec } from './perturb-spec.ts'
import { runJobsInThread, runJobsOnWorkers } from './run-jobs.ts'
import type { SeriesJob, SeriesOutcome } from './series-job.ts'
import { SEQUENCES, SIZES, type Sequence, type SizeName } from './series-grid.ts'
import { planSeries } from './study-plan.ts'

export interface SynthesizeOptions {
  /** Output folder; must be absent or empty unless `force`. */
  readonly out: string
  readonly studies?: number
  readonly seed?: number
  readonly size?: SizeName
  readonly sequences?: readonly Sequence[]
  /** NAME -> SPEC: writes predictions/NAME/<series>.mha (perturb-spec.ts). */
  readonly predictions?: Readonly<Record<string, string>>
  /** Writes preview/<series>.png (mid-sagittal slice with the mask overlay). */
  readonly preview?: boolean
  /** Overwrite files in a non-empty `out`. */
  readonly force?: boolean
  /**
   * Worker threads, each generating whole series. Default: the number of cores for
   * `realistic`, 1 (the calling thread) for `small`, whose series take milliseconds.
   */
  readonly threads?: number
  readonly onProgress?: (progress: { done: number; total: number; series: string }) => void
}

export interface SynthSeries {
  readonly name: string
  readonly study: number
  readonly sequence: Sequence
  readonly split: 'training' | 'validation'
  readonly size: readonly [number, number, number]
  readonly spacing: readonly [number, number, number]
  /** Label values present in the reference mask, ascending. */
  readonly labels: readonly number[]
}

export interface SynthesizeResult {
  readonly out: string
  readonly series: SynthSeries[]
  readonly predictions: string[]
}

/** Bad options: the message names the option and the value. */
export class SynthOptionError extends Error {
  override name = 'SynthOptionError'
}

const PREDICTION_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/
export const MAX_STUDIES = 10000

function validate(options: SynthesizeOptions): Required<Omit<SynthesizeOptions, 'onProgress'>> {
  const studies = options.studies ?? 39
  const seed = options.seed ?? 1
  const size = options.size ?? 'realistic'
  const sequences = options.sequences ?? SEQUENCES
  const predictions = options.predictions ?? {}
  const threads = options.threads ?? (size === 'small' ? 1 : availableParallelism())
  if (!options.out) throw new SynthOptionError('out: an output folder is required')
  if (!Number.isInteger(threads) || threads < 1 || threads > 64)
    throw new SynthOptionError(`threads: expected an integer from 1 to 64, got ${threads}`)
  if (!Number.isInteger(studies) || studies < 1 || studies > MAX_STUDIES)
    throw new SynthOptionError(`studies: expected an integer from 1 to ${MAX_STUDIES}, got ${studies}`)
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
    throw new SynthOptionError(`seed: expected an integer from 0 to 4294967295, got ${seed}`)
  if (!SIZES.includes(size)) throw new SynthOptionError(`size: expected ${SIZES.join(' or ')}, got "${size}"`)
  if (sequences.length === 0) throw new SynthOptionError(`sequences: expected at least one of ${SEQUENCES.join(', ')}`)
  for (const s of sequences)
    if (!SEQUENCES.includes(s)) throw new SynthOptionError(`sequences: unknown sequence "${s}" (expected ${SEQUENCES.join(', ')})`)
  if (new Set(sequences).size !== sequences.length) throw new SynthOptionError(`sequences: "${sequences.join(',')}" names a sequence twice`)
  for (const [name, spec] of Object.entries(predictions)) {
    if (!PREDICTION_NAME.test(name))
      throw new SynthOptionError(`predictions: invalid name "${name}" (letters, digits, '_', '.', '-'; at most 64 characters)`)
    try {
      parsePerturbSpec(spec)
    } catch (err) {
      throw new SynthOptionError(`predictions: ${name}=${spec}: ${(err as Error).message}`)
    }
  }
  return {
    out: options.out,
    studies,
    seed,
    size,
    sequences,
    predictions,
    preview: options.preview ?? false,
    force: options.force ?? false,
    threads,
  }
}

async function ensureWritableFolder(out: string, force: boolean): Promise<void> {
  let entries: string[] = []
  try {
    entries = await readdir(out)
  } catch (err) {
    const code = (err as { code?: string }).code
    if (code === 'ENOTDIR') throw new SynthOptionError(`out: ${out} exists and is not a folder`)
    if (code !== 'ENOENT') throw err
  }
  if (entries.length > 0 && !force)
    throw new SynthOptionError(
      `out: ${out} is not empty (${entries.length} entries); choose a new folder or pass force (--force) to overwrite`,
    )
  await mkdir(out, { recursive: true })
}

/**
 * Generates a synthetic SPIDER-like data set: images/, masks/, overview.csv, and optionally
 * predictions/NAME/ and preview/. Every file is a pure function of the options: the same seed
 * gives the same bytes.
 */
export async function synthesize(options: SynthesizeOptions): Promise<SynthesizeResult> {
  const o = validate(options)
  await ensureWritableFolder(o.out, o.force)
  const planned = planSeries(o.seed, o.studies, o.sequences)
  const names = Object.keys(o.predictions).sort()
  const dirs = ['images', 'masks', ...names.map((n) => join('predictions', n)), ...(o.preview ? ['preview'] : [])]
  for (const d of dirs) await mkdir(join(o.out, d), { recursive: true })

  const jobs: SeriesJob[] = planned.map((p) => ({
    out: o.out,
    seed: o.seed,
    study: p.study,
    sequence: p.sequence,
    name: p.name,
    size: o.size,
    predictions: o.predictions,
    preview: o.preview,
  }))
  let done = 0
  const progress = (outcome: SeriesOutcome): void => options.onProgress?.({ done: ++done, total: jobs.length, series: outcome.name })
  const threads = Math.min(o.threads, jobs.length)
  const outcomes = threads > 1 ? await runJobsOnWorkers(jobs, threads, progress) : await runJobsInThread(jobs, progress)

  const rows: OverviewRow[] = []
  const series: SynthSeries[] = []
  planned.forEach((plan, n) => {
    const { sex, age, size, spacing, labels } = outcomes[n]
    rows.push({ study: plan.study, seriesName: plan.name, sequence: plan.sequence, split: plan.split, sex, age, size, spacing })
    series.push({ name: plan.name, study: plan.study, sequence: plan.sequence, split: plan.split, size, spacing, labels })
  })
  await writeFile(join(o.out, 'overview.csv'), overviewCsv(rows))
  return { out: o.out, series, predictions: names }
}
