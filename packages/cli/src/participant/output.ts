import { isProfileName, profileMetrics } from '@spider-bench/scoring'
import { formatAggregatesTable } from '../commands/score.ts'
import type { ParticipantClient } from './client.ts'
import type { ProgressEvent, QueueState, SeriesDocument, SubmissionDocument } from './documents.ts'
import { ParticipantError } from './errors.ts'

/** "queued, position 3 in the queue (waiting for a free worker)" and the like. */
export function describeState(state: { status: string; progress?: { done: number; total: number } } & QueueState): string {
  const reason = state.waitingReason ? ` (${state.waitingReason})` : ''
  const position = state.queuePosition != null ? `, position ${state.queuePosition} in the queue` : ''
  if (state.status === 'queued') {
    const start = state.estimatedStartAt ? `, expected to start at ${shortTime(state.estimatedStartAt)}` : ''
    return `queued${position}${start}${reason}`
  }
  if (state.status === 'running') {
    const progress = state.progress && state.progress.total > 0 ? `: ${state.progress.done}/${state.progress.total} series` : ''
    return `running${progress}${position}${reason}`
  }
  return state.status
}

/** HH:MM:SS local time of an ISO instant. */
function shortTime(iso: string): string {
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? iso : d.toTimeString().slice(0, 8)
}

/**
 * Shows a submission's evaluation as it goes: on a terminal, one line redrawn with a bar; when
 * stderr is not a terminal (logs, CI), a line per change of status or queue position.
 */
export function evaluationProgress(stream: NodeJS.WriteStream = process.stderr): {
  update(state: ProgressEvent): void
  note(line: string): void
  end(): void
} {
  const tty = stream.isTTY === true
  let lastLine = ''
  let lastKey = ''
  let lastNotice = ''
  let drawn = false
  const note = (line: string) => {
    if (drawn) stream.write('\n')
    drawn = false
    lastLine = ''
    console.error(line)
  }
  const update = (state: ProgressEvent) => {
    if (state.notice && state.notice !== lastNotice) {
      lastNotice = state.notice
      note(`note: ${state.notice}`)
    }
    if (tty) {
      const p = state.progress
      const width = 30
      const filled = p && p.total > 0 ? Math.round((p.done / p.total) * width) : 0
      const line = `evaluating [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${describeState(state)}`
      if (line === lastLine) return
      stream.write(`\r${line.padEnd(Math.max(line.length, lastLine.length))}`)
      lastLine = line
      drawn = true
      return
    }
    const key = `${state.status}|${state.queuePosition ?? ''}|${state.waitingReason ?? ''}|${state.progress?.total ?? ''}`
    if (key === lastKey) return
    lastKey = key
    console.error(`evaluation: ${describeState(state)}`)
  }
  const end = () => {
    if (drawn) stream.write('\n')
    drawn = false
  }
  return { update, note, end }
}

/** One line about a submission: id, where, kind, status, progress, time. */
export function submissionLine(s: SubmissionDocument): string {
  return `submission ${s.id} (${s.kind}, ${s.challenge}/${s.phase}, ${s.createdAt}): ${describeState(s)}`
}

/** The aggregates of a succeeded submission as `spider-bench score` prints them. */
export function formatSubmissionResults(s: SubmissionDocument, profile: string): string {
  if (!s.aggregates) return `${submissionLine(s)}\n(no aggregates published for this submission)`
  const name = isProfileName(profile) ? profile : 'spider'
  const known = new Set(profileMetrics(name).map((m) => m.key))
  const others = Object.keys(s.aggregates).filter((k) => !known.has(k))
  const table = formatAggregatesTable(name, [{ name: 'all', series: s.progress.total, aggregates: s.aggregates }])
  const extra = others.length > 0 ? `\n(further metrics in --json: ${others.join(', ')})` : ''
  return [`${submissionLine(s)}, profile ${profile}`, '', table].join('\n') + extra
}

/**
 * Every reason a submission did not succeed: its error, and each failed series with its
 * error when the phase shows per-series results to participants.
 */
export async function failureReasons(client: ParticipantClient, s: SubmissionDocument): Promise<string[]> {
  const reasons = s.error ? [s.error] : []
  let series: SeriesDocument | null = null
  try {
    series = await client.series(s.id)
  } catch (err) {
    if (!(err instanceof ParticipantError)) throw err
    // Per-series results hidden from participants (or unreachable): the submission's error is all there is.
  }
  for (const r of series?.series ?? []) if (r.status === 'error' || r.error) reasons.push(`series "${r.name}": ${r.error ?? r.status}`)
  if (reasons.length === 0) reasons.push(s.status === 'cancelled' ? 'the submission was cancelled' : 'the server gave no reason')
  return reasons
}

/** Prints the outcome of a finished submission; returns the exit code (0 succeeded, 2 otherwise). */
export async function reportOutcome(client: ParticipantClient, s: SubmissionDocument, profile: string, json: boolean): Promise<number> {
  if (json) console.log(JSON.stringify(s, null, 2))
  if (s.status === 'succeeded') {
    if (!json) console.log(formatSubmissionResults(s, profile))
    return 0
  }
  if (s.status === 'failed' || s.status === 'cancelled') {
    const reasons = await failureReasons(client, s)
    console.error(`submission ${s.id} ${s.status}:`)
    for (const r of reasons) console.error(`  - ${r}`)
    return 2
  }
  if (!json) console.log(submissionLine(s))
  return 0
}

/** A CSV field: quoted when it holds a comma, quote or line break. */
export function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return ''
  const text = typeof value === 'number' ? String(value) : value
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

/** Rows to CSV text (numbers written with every digit JavaScript keeps: they read back equal). */
export function toCsv(rows: ReadonlyArray<ReadonlyArray<string | number | null | undefined>>): string {
  return rows.map((r) => r.map(csvField).join(',')).join('\n') + '\n'
}
