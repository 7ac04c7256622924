import { readFile, writeFile } from 'node:fs/promises'
import { basename } from 'node:path'
import {
  computeStability,
  DEFAULT_BOOTSTRAP_SAMPLES,
  DEFAULT_SIGNIFICANCE_LEVEL,
  RANKING_METHODS,
  rankLeaderboard,
  seriesValue,
  type LeaderboardRow,
  type RankingColumn,
  type RankingMethod,
  type SeriesTable,
  type Stability,
} from '@spider-bench/leaderboard'
import { isProfileName, profileMetrics, type ProfileName } from '@spider-bench/scoring'
import { parseCommandArgs, intOption, UsageError, type Command } from '../command.ts'

const HELP = `usage: spider-bench rank RESULT.json... [options]

Ranks entries offline from \`spider-bench score --out\` documents (one per entry, named after
its file) as a leaderboard ranks them, then reports how sure each rank is, with the figures the
server stores with every leaderboard snapshot:
  - bootstrap of the test series (B samples with replacement, each re-ranked with the same
    method and metrics): median rank, 95 % rank interval (2.5th-97.5th percentiles), P(first);
    Kendall's tau between the ranking and each sample's;
  - one-sided paired Wilcoxon signed-rank tests of every ordered pair of entries on every
    ranking metric (as R's wilcox.test(x, y, paired = TRUE, alternative = "greater")),
    Holm-adjusted per metric: whom each entry significantly beats on the first metric, and
    the entries statistically tied for first.
With a snapshot's --seed, --samples and --alpha (GET .../leaderboard/stability) and the same
score documents, the figures are the server's.

options:
  --method NAME        absolute, mean-position (default) or median-position, as a phase's ranking
  --metrics LIST       ranking metrics, most important first: KEY or KEY:asc / KEY:desc, comma-
                       separated (default: every metric of the documents' profile, in its natural
                       order); absolute ranks by the first only
  --samples B          bootstrap samples (default ${DEFAULT_BOOTSTRAP_SAMPLES})
  --seed N             seed of the bootstrap generator, 0..4294967295 (default 1)
  --alpha A            significance level of the adjusted tests (default ${DEFAULT_SIGNIFICANCE_LEVEL})
  --json FILE          also write the rows and every figure (p-value matrices included) as JSON
  -h, --help           this help`

interface ScoreDocument {
  readonly profile: ProfileName
  readonly aggregates: Record<string, { readonly mean?: unknown } | undefined>
  readonly series: ReadonlyArray<{ readonly name: string; readonly metrics: Record<string, unknown> }>
}

export interface RankInput {
  /** Entry name (the file's base name). */
  readonly name: string
  readonly document: ScoreDocument
}

export interface RankOutput {
  readonly profile: ProfileName
  readonly method: RankingMethod
  readonly columns: readonly RankingColumn[]
  readonly rows: readonly LeaderboardRow[]
  readonly stability: Stability
}

/**
 * The leaderboard of the documents (every document one entry, ranked like a phase with
 * entries "all"; the value of a metric is the document's aggregate mean, as on the server)
 * and its stability figures from the documents' per-series values.
 */
export function rankResultDocuments(
  inputs: readonly RankInput[],
  options: {
    readonly method: RankingMethod
    readonly columns?: readonly RankingColumn[]
    readonly samples: number
    readonly seed: number
    readonly alpha: number
  },
): RankOutput {
  if (inputs.length === 0) throw new UsageError('no result documents given (see --help)')
  const profile = inputs[0].document.profile
  const mismatch = inputs.find((i) => i.document.profile !== profile)
  if (mismatch)
    throw new UsageError(`${mismatch.name}: profile "${mismatch.document.profile}" differs from ${inputs[0].name}'s "${profile}"`)
  const columns = options.columns ?? profileMetrics(profile).map(({ key, order }) => ({ key, order }))
  const seen = new Set<string>()
  for (const i of inputs) {
    if (seen.has(i.name)) throw new UsageError(`two documents are named "${i.name}": entries are named after their files, rename one`)
    seen.add(i.name)
  }
  const keys = profileMetrics(profile).map((m) => m.key)
  const rows = rankLeaderboard(
    inputs.map((i, n) => ({
      submissionId: i.name,
      participant: i.name,
      // Ties are listed in argument order.
      createdAt: new Date(Date.UTC(2000, 0, 1) + n * 1000).toISOString(),
      metrics: Object.fromEntries(keys.map((k) => [k, seriesValue(i.document.aggregates[k]?.mean)])),
    })),
    { method: options.method, entries: 'all', columns },
  )
  const byName = new Map(inputs.map((i) => [i.name, i.document]))
  // Series sorted as the scorer sorts its document (and the server its snapshot's table).
  const series = [...new Set(inputs.flatMap((i) => i.document.series.map((s) => s.name)))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  const index = new Map(series.map((s, i) => [s, i]))
  const table: SeriesTable = {
    series,
    entries: rows.map((row) => {
      const values = Object.fromEntries(columns.map((c) => [c.key, new Array<number | null>(series.length).fill(null)]))
      for (const s of (byName.get(row.submissionId) as ScoreDocument).series) {
        for (const c of columns) values[c.key][index.get(s.name) as number] = seriesValue(s.metrics[c.key])
      }
      return { submissionId: row.submissionId, rank: row.rank, values }
    }),
  }
  const stability = computeStability(
    table,
    { method: options.method, columns },
    { samples: options.samples, seed: options.seed, alpha: options.alpha },
  )
  return { profile, method: options.method, columns, rows, stability }
}

/** `KEY[:asc|desc],...` against the profile's metrics. */
export function parseMetrics(list: string, profile: ProfileName): RankingColumn[] {
  const specs = profileMetrics(profile)
  const columns = list.split(',').map((item) => {
    const [key, order, extra] = item.trim().split(':')
    const spec = specs.find((s) => s.key === key)
    if (!spec)
      throw new UsageError(`--metrics: "${key}" is not a metric of profile ${profile} (known: ${specs.map((s) => s.key).join(', ')})`)
    if (extra !== undefined || (order !== undefined && order !== 'asc' && order !== 'desc'))
      throw new UsageError(`--metrics: "${item}": expected KEY, KEY:asc or KEY:desc`)
    return { key, order: (order as 'asc' | 'desc' | undefined) ?? spec.order }
  })
  const dup = columns.find((c, i) => columns.findIndex((d) => d.key === c.key) !== i)
  if (dup) throw new UsageError(`--metrics lists "${dup.key}" twice`)
  return columns
}

async function readDocument(file: string): Promise<RankInput> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    throw new UsageError(`${file}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`)
  }
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch {
    throw new UsageError(`${file}: not JSON (expected a \`spider-bench score --out\` document)`)
  }
  const d = doc as Partial<ScoreDocument> | null
  if (!d || typeof d !== 'object' || typeof d.profile !== 'string' || !isProfileName(d.profile)) {
    throw new UsageError(`${file}: no known "profile" (spider or spider-official): not a \`spider-bench score --out\` document`)
  }
  if (
    !d.aggregates ||
    typeof d.aggregates !== 'object' ||
    !Array.isArray(d.series) ||
    d.series.some((s) => typeof s?.name !== 'string' || !s.metrics || typeof s.metrics !== 'object')
  ) {
    throw new UsageError(`${file}: expected "aggregates" and a "series" list of { name, metrics }, as \`spider-bench score --out\` writes`)
  }
  return { name: basename(file).replace(/\.json$/i, ''), document: d as ScoreDocument }
}

export const command: Command = {
  summary: 'rank score documents offline with bootstrap rank intervals and pairwise significance',
  async run(argv) {
    const args = parseCommandArgs(
      argv,
      HELP,
      {
        method: { type: 'string', default: 'mean-position' },
        metrics: { type: 'string' },
        samples: { type: 'string' },
        seed: { type: 'string' },
        alpha: { type: 'string' },
        json: { type: 'string' },
      },
      { positionals: true },
    )
    if (!args) return 0
    const { values, positionals } = args
    if (positionals.length === 0) throw new UsageError('give at least one RESULT.json (see --help)')
    const method = values.method as RankingMethod
    if (!RANKING_METHODS.includes(method)) throw new UsageError(`--method expects ${RANKING_METHODS.join(', ')}, got "${values.method}"`)
    const samples = intOption('samples', values.samples, DEFAULT_BOOTSTRAP_SAMPLES, 1)
    const seed = intOption('seed', values.seed, 1)
    if (seed > 0xffffffff) throw new UsageError(`--seed must be at most 4294967295, got "${values.seed}"`)
    const alpha = values.alpha === undefined ? DEFAULT_SIGNIFICANCE_LEVEL : Number(values.alpha)
    if (!(alpha > 0 && alpha < 1)) throw new UsageError(`--alpha expects a number between 0 and 1, got "${values.alpha}"`)
    const inputs = await Promise.all(positionals.map(readDocument))
    const columns = values.metrics === undefined ? undefined : parseMetrics(values.metrics, inputs[0].document.profile)
    const out = rankResultDocuments(inputs, { method, columns, samples, seed, alpha })
    if (values.json) await writeFile(values.json, `${JSON.stringify(out, null, 1)}\n`)
    console.log(formatRanking(out))
    if (values.json) console.error(`rows and figures written to ${values.json}`)
    return 0
  },
}

const arrow = (c: RankingColumn) => `${c.key}${c.order === 'desc' ? '↑' : '↓'}`
const num = (v: number | null, digits = 3) => (v === null ? '-' : Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(digits))
const rank = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(1))

/** The ranking with its intervals, whom each entry beats and the entries tied for first. */
export function formatRanking({ method, columns, rows, stability }: RankOutput): string {
  const primary = columns[0]
  const shown = method === 'absolute' ? columns.slice(0, 1) : columns
  const header = [
    'rank',
    'entry',
    method === 'absolute' ? 'score' : method === 'mean-position' ? 'mean pos.' : 'median pos.',
    ...shown.map(arrow),
    'median rank',
    '95% interval',
    'P(first)',
    `beats on ${primary.key}`,
  ]
  const lines = rows.map((r, i) => {
    const e = stability.entries[i]
    return [
      String(r.rank),
      r.submissionId,
      num(r.rankScore),
      ...shown.map((c) => num(r.metrics[c.key])),
      rank(e.medianRank),
      `[${rank(e.rankInterval[0])}, ${rank(e.rankInterval[1])}]`,
      e.pFirst.toFixed(3),
      e.beats.length === 0 ? '-' : e.beats.join(', '),
    ]
  })
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)))
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd()
  const tau = stability.kendallTau
  return [
    `ranking: ${method} over ${columns.map(arrow).join(', ')} (↑ higher is better, ↓ lower is better)`,
    `${rows.length} entries, ${stability.series} series; bootstrap B = ${stability.samples}, seed ${stability.seed}; ` +
      `paired Wilcoxon, Holm, α = ${stability.alpha}`,
    '',
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...lines.map(line),
    '',
    `statistically tied for first on ${primary.key}: ${stability.tiedForFirst.join(', ') || '-'}`,
    "Kendall's τ (ranking vs bootstrap samples): " +
      (tau
        ? `median ${tau.median.toFixed(3)}, quartiles ${tau.q25.toFixed(3)} to ${tau.q75.toFixed(3)}`
        : 'undefined (fewer than two entries, or all tied)'),
  ].join('\n')
}
