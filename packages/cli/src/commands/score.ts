import { writeFile } from 'node:fs/promises'
import {
  ImageError,
  isProfileName,
  profileMetrics,
  scoreDirectories,
  type Aggregates,
  type ProfileName,
  type ResultDocument,
} from '@spider-bench/scoring'
import { parseCommandArgs, intOption, UsageError, type Command } from '../command.ts'
import { textTable } from '../text-table.ts'

const HELP = `usage: spider-bench score --truth DIR --pred DIR [options]

Scores every reference mask in --truth against the prediction with the same base name in
--pred (.mha, .mhd, .nii, .nii.gz, .nrrd or .nhdr on either side) with the SPIDER metrics.

options:
  --truth DIR          reference masks
  --pred DIR           predicted masks
  --profile NAME       spider (default) or spider-official (reproduces the challenge scorer)
  --out FILE.json      write the full result document (per series, per structure, aggregates)
  --threads N          worker threads (default: all cores)
  --allow-missing      missing predictions are scored as empty without failing (exit 0)
  -h, --help           this help

exit codes: 0 every series scored; 1 usage or reference error; 2 some series failed (missing or
invalid prediction; still scored as empty predictions and written to --out).`

export const command: Command = {
  summary: 'score a folder of predicted masks against reference masks (SPIDER metrics)',
  async run(argv) {
    const args = parseCommandArgs(argv, HELP, {
      truth: { type: 'string' },
      pred: { type: 'string' },
      profile: { type: 'string', default: 'spider' },
      out: { type: 'string' },
      threads: { type: 'string' },
      'allow-missing': { type: 'boolean', default: false },
    })
    if (!args) return 0
    const { values } = args
    if (!values.truth) throw new UsageError('--truth DIR is required (see --help)')
    if (!values.pred) throw new UsageError('--pred DIR is required (see --help)')
    const profile = values.profile ?? 'spider'
    if (!isProfileName(profile)) throw new UsageError(`unknown --profile "${profile}": expected spider or spider-official`)
    const threads = intOption('threads', values.threads, undefined, 1)
    const bar = process.stderr.isTTY ? progressBar() : undefined
    let outcome
    try {
      outcome = await scoreDirectories({
        truthDir: values.truth,
        predDir: values.pred,
        profile,
        threads,
        allowMissing: values['allow-missing'],
        onProgress: bar,
      })
    } catch (err) {
      if (bar) process.stderr.write('\n')
      if (err instanceof ImageError) {
        console.error(`spider-bench score: ${err.message}`)
        return 1
      }
      throw err
    }
    if (bar) process.stderr.write('\n')
    const { document, exitCode, extraPredictions } = outcome
    if (values.out) await writeFile(values.out, `${JSON.stringify(document, null, 1)}\n`)
    console.log(formatTable(document))
    for (const name of extraPredictions) console.error(`warning: prediction "${name}" has no reference mask and was ignored`)
    for (const s of document.series) if (s.status === 'error') console.error(`error: ${s.name}: ${s.error}`)
    if (values.out) console.error(`result document written to ${values.out}`)
    return exitCode
  },
}

function progressBar(): (done: number, total: number, name: string) => void {
  const start = Date.now()
  return (done, total, name) => {
    const width = 30
    const filled = Math.round((done / total) * width)
    const seconds = ((Date.now() - start) / 1000).toFixed(1)
    process.stderr.write(
      `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${seconds}s ${name.slice(0, 30).padEnd(30)}`,
    )
  }
}

// Rows grouped by structure class, like Table 4 of the SPIDER paper.
const GROUPS: Array<[string, RegExp]> = [
  ['Vertebrae', /Vertebrae$/],
  ['Discs', /Discs$/],
  ['Spinal canal', /SpinalCanal$/],
  ['Overall', /./],
]

/** A readable table: mean ± SD (n) per structure class and metric, overall and per sequence. */
export function formatTable(document: ResultDocument): string {
  const columns: Array<[string, Aggregates]> = [
    ['all', document.aggregates],
    ...Object.entries(document.bySequence).map(([k, v]) => [k, v] as [string, Aggregates]),
  ]
  const failed = document.series.filter((s) => s.status === 'error').length
  const counts = columns.map(([name]) =>
    name === 'all' ? document.series.length : document.series.filter((s) => s.sequence === name).length,
  )
  const title = `profile ${document.profile}, ${document.series.length} series, ${failed} failed (scored as empty predictions)`
  const table = formatAggregatesTable(
    document.profile,
    columns.map(([name, aggregates], i) => ({ name, series: counts[i], aggregates })),
  )
  return [title, '', table].join('\n')
}

/** Aggregates as the API returns them: a field may be missing (reduced visibility). */
export type AggregatesLike = Record<string, { mean?: number | null; std?: number | null; count?: number } | undefined>

/**
 * The table of `formatTable` without its title: one row per metric of the profile grouped
 * by structure class, one column per set of aggregates (e.g. a submission's, from the API).
 */
export function formatAggregatesTable(
  profile: ProfileName,
  columns: ReadonlyArray<{ name: string; series: number; aggregates: AggregatesLike }>,
): string {
  const header = ['structure', 'metric', ...columns.map((c) => `${c.name} (${c.series} series)`)]
  const rows: string[][] = []
  const keys = profileMetrics(profile).map((m) => m.key)
  const used = new Set<string>()
  for (const [group, pattern] of GROUPS) {
    for (const key of keys.filter((k) => !used.has(k) && pattern.test(k))) {
      used.add(key)
      const metric = group === 'Overall' ? key.replace(/Overall$/, '').replace(/^Overal(?=[A-Z])/, '') : key.replace(pattern, '')
      rows.push([group, metric, ...columns.map((c) => cell(c.aggregates[key]))])
    }
  }
  return textTable(header, rows).join('\n')
}

function cell(agg: AggregatesLike[string]): string {
  if (!agg || agg.mean == null) return '-'
  const digits = Math.abs(agg.mean) >= 100 ? 1 : 3
  const sd = agg.std == null ? '' : ` ± ${agg.std.toFixed(digits)}`
  const count = agg.count == null ? '' : ` (${agg.count})`
  return `${agg.mean.toFixed(digits)}${sd}${count}`
}
