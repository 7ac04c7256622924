import { writeFile } from 'node:fs/promises'
import { extname } from 'node:path'
import { parseCommandArgs, UsageError, type Command } from '../command.ts'
import { connect, participantCommand } from '../participant/command.ts'
import type { SeriesDocument, SubmissionDocument } from '../participant/documents.ts'
import { ParticipantError } from '../participant/errors.ts'
import { failureReasons, formatSubmissionResults, toCsv } from '../participant/output.ts'
import { textTable } from '../text-table.ts'

const HELP = `usage: spider-bench results ID [--series] [--out FILE.json|FILE.csv] [--json]

The results of a succeeded submission: the aggregates table (mean ± SD (n) per metric), and
with --series the result of every series (when the phase shows per-series results to
participants).

  --series            also the per-series results (the ranking metrics in the table)
  --out FILE.json     write {submission, series?} exactly as the API returns them
  --out FILE.csv      write per-series rows with --series (name, sequence, status, error,
                      every metric), else one row per metric (mean, std, median, min, max, count)
  --json              print {submission, series?} (JSON) instead of tables

exit codes: 0 results shown; 2 the submission failed (every reason printed); 1 otherwise.`

const AGGREGATE_FIELDS = ['mean', 'std', 'median', 'min', 'max', 'count'] as const

/** Per-series rows: name, sequence, status, error, then every metric the series carry. */
export function seriesCsv(doc: SeriesDocument): string {
  const keys = [...new Set(doc.series.flatMap((s) => Object.keys(s.metrics)))]
  return toCsv([
    ['name', 'sequence', 'status', 'error', ...keys],
    ...doc.series.map((s) => [s.name, s.sequence, s.status, s.error, ...keys.map((k) => s.metrics[k])]),
  ])
}

/** One row per aggregate metric: metric, mean, std, median, min, max, count (empty when not published). */
export function aggregatesCsv(doc: SubmissionDocument): string {
  const rows = Object.entries(doc.aggregates ?? {}).map(([metric, agg]) => [metric, ...AGGREGATE_FIELDS.map((f) => agg?.[f])])
  return toCsv([['metric', ...AGGREGATE_FIELDS], ...rows])
}

function seriesTable(doc: SeriesDocument, keys: string[]): string {
  const header = ['series', 'sequence', 'status', ...keys]
  const body = doc.series.map((s) => [
    s.name,
    s.sequence,
    s.status,
    ...keys.map((k) => (s.metrics[k] == null ? '-' : Number(s.metrics[k]).toFixed(3))),
  ])
  const errors = doc.series.filter((s) => s.error).map((s) => `  ${s.name}: ${s.error}`)
  return [
    `per series (test set v${doc.testSetVersion ?? '-'}):`,
    ...textTable(header, body, (i) => i >= 3),
    ...(errors.length ? ['errors:', ...errors] : []),
  ].join('\n')
}

export const command: Command = {
  summary: 'show or export the results of a submission (aggregates, --series, --out csv/json)',
  async run(argv) {
    const args = parseCommandArgs(
      argv,
      HELP,
      { series: { type: 'boolean', default: false }, out: { type: 'string' }, json: { type: 'boolean', default: false } },
      { positionals: true },
    )
    if (!args) return 0
    const { values, positionals } = args
    if (positionals.length !== 1)
      throw new UsageError(`expected one submission id, got ${positionals.length === 0 ? 'none' : positionals.join(' ')}`)
    const out = values.out
    const format = out ? extname(out).toLowerCase() : null
    if (out && format !== '.json' && format !== '.csv') throw new UsageError(`--out must end in .json or .csv, got "${out}"`)
    const id = positionals[0]
    return participantCommand('results', async () => {
      const client = await connect()
      const submission = await client.submission(id)
      if (submission.status === 'failed' || submission.status === 'cancelled') {
        console.error(`submission ${id} ${submission.status}; no results:`)
        for (const r of await failureReasons(client, submission)) console.error(`  - ${r}`)
        return 2
      }
      if (submission.status !== 'succeeded')
        throw new ParticipantError(`submission ${id} is ${submission.status}: no results yet (spider-bench status ${id} --wait follows it)`)
      const series = values.series ? await client.series(id) : null
      const document = series ? { submission, series } : { submission }
      if (out) {
        const text = format === '.json' ? `${JSON.stringify(document, null, 2)}\n` : series ? seriesCsv(series) : aggregatesCsv(submission)
        await writeFile(out, text).catch((err: Error) => {
          throw new ParticipantError(`cannot write ${out}: ${err.message}`)
        })
      }
      if (values.json) console.log(JSON.stringify(document, null, 2))
      else {
        const phase = await client.phase(submission.challenge, submission.phase)
        console.log(formatSubmissionResults(submission, phase.scoringProfile))
        if (series)
          console.log(
            `\n${seriesTable(
              series,
              phase.ranking.metrics.map((m) => m.key),
            )}`,
          )
      }
      if (out) console.error(`${series ? 'per-series results' : 'results'} written to ${out}`)
      return 0
    })
  },
}
