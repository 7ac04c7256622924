import { useMemo, useState } from 'preact/hooks'
import {
  get,
  seg,
  type Aggregate,
  type Challenge,
  type Leaderboard,
  type LeaderboardAggregates,
  type LeaderboardHistory,
  type LeaderboardRow,
  type MetricDefinition,
} from '../api.ts'
import { HistoryChart } from '../components/history-chart.tsx'
import { download, LoadError, Loading, Problems, Scroll, useLoad } from '../components/ui.tsx'
import { fmtDate, fmtNumber, fromLocalInput, phaseWindow, SEQUENCE_LABELS, toLocalInput } from '../format.ts'
import { arrow, betterText, ENTRIES_TEXT, loadProfiles, METHOD_TEXT } from '../metrics.ts'
import { navigate, useLocation } from '../router.ts'
import { useSession } from '../session.ts'

/** One row of the table as shown: the board's row, or a per-sequence row. */
interface ShownRow {
  rank: number
  participant: string
  submissionId: string
  createdAt: string
  rankScore: number | null
  uncertainty: LeaderboardRow['uncertainty']
  values: Record<string, number | null>
  spread: Record<string, Aggregate | null>
  withheld: string[]
}

type SortKey = { key: string; dir: 'asc' | 'desc' }

const SEQUENCE_CHIPS = ['t1', 't2', 't2_SPACE', 'unknown']

function compare(a: ShownRow, b: ShownRow, sort: SortKey): number {
  const pick = (r: ShownRow): number | string | null =>
    sort.key === 'rank'
      ? r.rank
      : sort.key === 'participant'
        ? r.participant.toLowerCase()
        : sort.key === 'date'
          ? r.createdAt
          : (r.values[sort.key] ?? null)
  const va = pick(a)
  const vb = pick(b)
  // Missing values sort last whichever the direction.
  if (va === null && vb === null) return a.rank - b.rank
  if (va === null) return 1
  if (vb === null) return -1
  const c = va < vb ? -1 : va > vb ? 1 : 0
  return (sort.dir === 'asc' ? c : -c) || a.rank - b.rank
}

function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? '' : String(v)
  // Spreadsheet formulas in user text are neutralised; quotes doubled.
  const safe = /^[=+\-@\t\r]/.test(s) && !/^-?\d/.test(s) ? `'${s}` : s
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe
}

function RankInterval({ u, n, tied }: { u: LeaderboardRow['uncertainty']; n: number; tied: boolean }) {
  if (!u) return <span class="muted">–</span>
  const [lo, hi] = u.rankInterval
  const left = n > 1 ? ((lo - 1) / (n - 1)) * 100 : 0
  const width = n > 1 ? Math.max(2, ((hi - lo) / (n - 1)) * 100) : 100
  const text = lo === hi ? `${lo}` : `${lo}–${hi}`
  return (
    <span
      class="interval"
      title={`95 % rank interval ${text}; median rank ${u.medianRank}; first in ${Math.round(u.pFirst * 100)} % of bootstrap samples`}
    >
      <span class="bar" aria-hidden="true">
        {/* Set through the CSSOM (style properties), which the CSP's style-src allows. */}
        <span class="fill" style={{ left: `${left}%`, width: `${Math.min(100 - left, width)}%` }} />
      </span>
      <span class="small">{text}</span>
      {tied && <span class="badge tied">tied for first</span>}
    </span>
  )
}

/** `/challenges/:c/phases/:p`: the leaderboard, now or as of `?at=`, overall or per sequence (`?sequence=`). */
export function LeaderboardPage({ challenge, phase }: { challenge: string; phase: string }) {
  const loc = useLocation()
  const { me } = useSession()
  const at = loc.query.get('at')
  const sequence = loc.query.get('sequence')
  const base = `/challenges/${seg(challenge)}/phases/${seg(phase)}`
  const q = (extra: Record<string, string | null>) => {
    const p = new URLSearchParams()
    const all = { at, sequence, ...extra }
    for (const [k, v] of Object.entries(all)) if (v) p.set(k, v)
    const s = p.toString()
    return s ? `?${s}` : ''
  }
  const [data] = useLoad(async () => {
    const atQ = at ? `?at=${encodeURIComponent(at)}` : ''
    // What the table needs, in one round of requests; the spread, the ties for first (from the
    // aggregates view: the rank-stability matrices are never fetched) and the history follow.
    // A per-sequence view is the aggregates view itself.
    const [c, board, profiles, perSequence] = await Promise.all([
      get<Challenge>(`/challenges/${seg(challenge)}`),
      get<Leaderboard>(`${base}/leaderboard${atQ}`),
      loadProfiles(),
      sequence ? get<LeaderboardAggregates>(`${base}/leaderboard/aggregates${q({})}`) : Promise.resolve(null),
    ])
    const ph = c.phases.find((p) => p.slug === phase)
    const defs = new Map((profiles.find((p) => p.name === ph?.scoringProfile)?.metrics ?? []).map((m) => [m.key, m]))
    // For bench:web: when the table's data was complete.
    performance.mark('leaderboard-data')
    return { c, ph, board, perSequence, defs }
  }, [challenge, phase, at, sequence])
  // Requested once the table is there, so that they do not delay it.
  const tableReady = data.state !== 'loading'
  const [overall] = useLoad(
    () => (sequence || !tableReady ? Promise.resolve(null) : get<LeaderboardAggregates>(`${base}/leaderboard/aggregates${q({})}`)),
    [challenge, phase, at, sequence, tableReady],
  )
  const [history] = useLoad(
    () => (tableReady ? get<LeaderboardHistory>(`${base}/leaderboard/history`) : Promise.resolve(null)),
    [challenge, phase, tableReady],
  )
  const aggregatesOf = (): LeaderboardAggregates | null =>
    data.state !== 'ok' ? null : (data.data.perSequence ?? (overall.state === 'ok' ? overall.data : null))
  const [sort, setSort] = useState<SortKey>({ key: 'rank', dir: 'asc' })
  const [atInput, setAtInput] = useState(toLocalInput(at))

  const rows = useMemo<ShownRow[]>(() => {
    if (data.state !== 'ok') return []
    const { board } = data.data
    const aggregates = aggregatesOf()
    const spreadOf = new Map((aggregates?.rows ?? []).map((r) => [r.submissionId, r]))
    const shown: ShownRow[] = sequence
      ? (aggregates?.rows ?? []).map((r) => ({
          rank: r.rank,
          participant: r.participant,
          submissionId: r.submissionId,
          createdAt: r.createdAt,
          rankScore: r.rankScore,
          uncertainty: null,
          values: Object.fromEntries(Object.entries(r.metrics).map(([k, v]) => [k, v?.mean ?? null])),
          spread: r.metrics,
          withheld: r.withheld ?? [],
        }))
      : board.rows.map((r) => ({
          rank: r.rank,
          participant: r.participant,
          submissionId: r.submissionId,
          createdAt: r.createdAt,
          rankScore: r.rankScore,
          uncertainty: r.uncertainty,
          values: r.metrics,
          spread: spreadOf.get(r.submissionId)?.metrics ?? {},
          withheld: r.withheld ?? [],
        }))
    return [...shown].sort((a, b) => compare(a, b, sort))
  }, [data, overall, sort, sequence])

  if (data.state === 'loading') return <Loading what="leaderboard" />
  if (data.state === 'error') return <LoadError error={data.error} what="leaderboard" />
  const { c, ph, board, defs } = data.data
  const aggregates = aggregatesOf()
  const metricKeys = board.metricOrder.map((m) => m.key)
  const ranking = new Set(board.columns.map((m) => m.key))
  const tied = new Set(aggregates && aggregates.tiedForFirst.length > 1 ? aggregates.tiedForFirst : [])
  const defOf = (k: string): MetricDefinition | undefined => defs.get(k)
  const orderOf = (k: string) => board.metricOrder.find((m) => m.key === k)?.order ?? 'desc'
  const title = ph?.title ?? phase
  const state = ph ? phaseWindow(ph.opensAt, ph.closesAt) : null

  const sortBy = (key: string, natural: 'asc' | 'desc') =>
    setSort((s) => (s.key === key ? { key, dir: s.dir === 'asc' ? 'desc' : 'asc' } : { key, dir: natural }))
  const ariaSort = (key: string) => (sort.key === key ? (sort.dir === 'asc' ? 'ascending' : 'descending') : undefined)
  const header = (key: string, text: string, natural: 'asc' | 'desc', extra?: string) => (
    <th scope="col" aria-sort={ariaSort(key)} class={ranking.has(key) ? 'ranking' : undefined}>
      <button type="button" class="sort" onClick={() => sortBy(key, natural)} title={extra}>
        {text}
        {sort.key === key ? (sort.dir === 'asc' ? ' ▲' : ' ▼') : ''}
      </button>
    </th>
  )

  const exportRows = () =>
    rows.map((r) => ({
      rank: r.rank,
      participant: r.participant,
      submissionId: r.submissionId,
      createdAt: r.createdAt,
      rankScore: r.rankScore,
      ...(sequence ? {} : { rankInterval: r.uncertainty?.rankInterval ?? null, pFirst: r.uncertainty?.pFirst ?? null }),
      metrics: Object.fromEntries(metricKeys.map((k) => [k, r.values[k] ?? null])),
    }))
  const fileBase = `${challenge}-${phase}${sequence ? `-${sequence}` : ''}${at ? `-at-${at.replace(/[:.]/g, '')}` : ''}`
  const downloadCsv = () => {
    const head = [
      'rank',
      'participant',
      'submissionId',
      'createdAt',
      'rankScore',
      ...(sequence ? [] : ['rankIntervalLow', 'rankIntervalHigh', 'pFirst']),
      ...metricKeys,
    ]
    const lines = [head.join(',')]
    for (const r of rows) {
      const cells = [
        r.rank,
        r.participant,
        r.submissionId,
        r.createdAt,
        r.rankScore,
        ...(sequence ? [] : [r.uncertainty?.rankInterval[0], r.uncertainty?.rankInterval[1], r.uncertainty?.pFirst]),
        ...metricKeys.map((k) => r.values[k]),
      ]
      lines.push(cells.map(csvCell).join(','))
    }
    download(`${fileBase}.csv`, 'text/csv', lines.join('\r\n') + '\r\n')
  }
  const downloadJson = () =>
    download(
      `${fileBase}.json`,
      'application/json',
      JSON.stringify(
        {
          challenge,
          phase,
          sequence,
          at,
          version: board.version,
          computedAt: board.computedAt,
          method: board.method,
          columns: board.columns,
          rows: exportRows(),
        },
        null,
        2,
      ),
    )

  return (
    <section>
      <p class="crumbs">
        <a href="/">Challenges</a> / <a href={`/challenges/${seg(challenge)}`}>{c.title}</a> /
      </p>
      <h1>
        {title} <span class="muted">leaderboard</span>
      </h1>
      <p class="muted small">
        {board.version === 0 ? 'No entry yet.' : `Snapshot ${board.version}, computed ${fmtDate(board.computedAt)}`}
        {board.testSetVersion !== null ? ` · test set v${board.testSetVersion}` : ''} · {METHOD_TEXT[board.method] ?? board.method};{' '}
        {ENTRIES_TEXT[board.entries] ?? board.entries}
        {state ? ` · ${state.text}` : ''}
        {me && state?.open && (
          <>
            {' · '}
            <a href={`${base}/submit`}>Submit</a>
          </>
        )}
      </p>

      <div class="toolbar">
        <div role="group" aria-label="Sequence">
          {[null, ...SEQUENCE_CHIPS.filter((s) => s !== 'unknown' || aggregates?.sequences.includes('unknown'))].map((s) => (
            <a
              key={s ?? 'all'}
              class="chip"
              href={`${base}${q({ sequence: s })}`}
              aria-current={(s ?? null) === (sequence ?? null) ? 'true' : undefined}
            >
              {s ? (SEQUENCE_LABELS[s] ?? s) : 'All series'}
            </a>
          ))}
        </div>
        <form
          class="inline"
          onSubmit={(e) => {
            e.preventDefault()
            const iso = fromLocalInput(atInput)
            navigate(`${base}${q({ at: iso })}`)
          }}
        >
          <label for="at">Board as of</label>
          <input id="at" type="datetime-local" value={atInput} onInput={(e) => setAtInput((e.currentTarget as HTMLInputElement).value)} />
          <button type="submit">Show</button>
          {at && (
            <a href={`${base}${q({ at: null })}`} class="small">
              Now
            </a>
          )}
        </form>
        <div class="inline">
          <button type="button" onClick={downloadCsv}>
            Download CSV
          </button>
          <button type="button" onClick={downloadJson}>
            Download JSON
          </button>
        </div>
      </div>

      {sequence && <p class="note">Ranked among the same entries by their {SEQUENCE_LABELS[sequence] ?? sequence} series only.</p>}
      {rows.length === 0 ? (
        <p>No entry {at ? 'at that time' : 'yet'}.</p>
      ) : (
        <Scroll label="Leaderboard">
          <table class="board" data-testid="leaderboard">
            <caption class="sr-only">
              Leaderboard of {title}
              {sequence ? `, ${SEQUENCE_LABELS[sequence] ?? sequence} series` : ''}; column headers sort the table.
            </caption>
            <thead>
              <tr>
                {header('rank', 'Rank', 'asc')}
                {header('participant', 'Participant', 'asc')}
                {header('date', 'Date', 'desc')}
                {!sequence && (
                  <th scope="col">
                    <abbr title="95 % bootstrap rank interval">Rank interval</abbr>
                  </th>
                )}
                {metricKeys.map((k) => {
                  const d = defOf(k)
                  const o = orderOf(k)
                  return header(
                    k,
                    `${d?.label ?? k} ${arrow(o)}`,
                    o,
                    `${d?.description ?? k} (${betterText(o)}${d?.unit ? `, ${d.unit}` : ''})`,
                  )
                })}
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.submissionId} data-submission={r.submissionId}>
                  <td class="num">{r.rank}</td>
                  <td>{r.participant}</td>
                  <td class="nowrap">{fmtDate(r.createdAt)}</td>
                  {!sequence && (
                    <td>
                      <RankInterval u={r.uncertainty} n={board.rows.length} tied={tied.has(r.submissionId)} />
                    </td>
                  )}
                  {metricKeys.map((k) => {
                    const s = r.spread[k]
                    const withheld = r.withheld.includes(k)
                    const hover = withheld
                      ? 'withheld: computed over too few series'
                      : s && s.mean !== null
                        ? `${fmtNumber(s.mean)}${s.std !== null ? ` ± ${fmtNumber(s.std)}` : ''} ` +
                          `(mean${s.std !== null ? ' ± sd' : ''} over ${s.count} series)`
                        : undefined
                    return (
                      <td
                        key={k}
                        class={`num${ranking.has(k) ? ' ranking' : ''}`}
                        title={hover}
                        data-metric={k}
                        data-value={r.values[k] === null || r.values[k] === undefined ? '' : String(r.values[k])}
                      >
                        {withheld ? <span class="muted">withheld</span> : fmtNumber(r.values[k])}
                      </td>
                    )
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </Scroll>
      )}
      <p class="muted small">
        Hover a value for mean ± standard deviation over the series. ↑ higher is better, ↓ lower is better; ranking metrics are highlighted.
        {tied.size > 0 &&
          ' "Tied for first": not significantly worse than the leader on ' +
            `${defOf(board.columns[0]?.key ?? '')?.label ?? 'the primary metric'} ` +
            `(Holm-adjusted Wilcoxon, α = ${aggregates?.alpha}).`}
      </p>
      <h2>Leaders over time</h2>
      {history.state === 'ok' && history.data ? (
        <HistoryChart history={history.data} metric={defOf(history.data.metric ?? '')} />
      ) : history.state === 'error' ? (
        <Problems error={history.error} />
      ) : (
        <Loading what="history" />
      )}
    </section>
  )
}
