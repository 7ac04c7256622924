import type { LeaderboardHistory, MetricDefinition } from '../api.ts'
import { fmtDate, fmtNumber } from '../format.ts'

const COLOURS = ['#1d4e89', '#b3261e', '#2e7d32', '#8e24aa', '#ef6c00']
const W = 720
const H = 260
const PAD = { l: 56, r: 16, t: 16, b: 36 }

/**
 * The primary metric of the current leaders over the board's snapshots (an SVG line per
 * participant), with the same figures as a table for screen readers and keyboards.
 */
export function HistoryChart({ history, metric }: { history: LeaderboardHistory; metric: MetricDefinition | undefined }) {
  const points = history.points
  if (points.length === 0) return <p class="muted">No snapshot yet.</p>
  const latest = points[points.length - 1]
  const names = latest.leaders.map((l) => l.participant).filter((n, i, a) => a.indexOf(n) === i)
  const series = names.map((name) => ({
    name,
    values: points.map((p) => ({ t: Date.parse(p.computedAt), v: p.leaders.find((l) => l.participant === name)?.value ?? null })),
  }))
  const all = series.flatMap((s) => s.values.map((x) => x.v)).filter((v): v is number => v !== null)
  const t0 = Date.parse(points[0].computedAt)
  const t1 = Math.max(Date.parse(latest.computedAt), t0 + 1)
  let lo = all.length ? Math.min(...all) : 0
  let hi = all.length ? Math.max(...all) : 1
  if (hi - lo < 1e-9) {
    lo -= 0.5 * Math.abs(lo || 1) * 0.1
    hi += 0.5 * Math.abs(hi || 1) * 0.1
  }
  const x = (t: number) => PAD.l + ((t - t0) / (t1 - t0)) * (W - PAD.l - PAD.r)
  const y = (v: number) => PAD.t + (1 - (v - lo) / (hi - lo)) * (H - PAD.t - PAD.b)
  const label = metric ? `${metric.label}${metric.unit ? ` (${metric.unit})` : ''}` : (history.metric ?? 'primary metric')
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${label} of the current leaders over ${points.length} snapshots`}>
        <line x1={PAD.l} y1={H - PAD.b} x2={W - PAD.r} y2={H - PAD.b} class="axis" />
        <line x1={PAD.l} y1={PAD.t} x2={PAD.l} y2={H - PAD.b} class="axis" />
        {[lo, (lo + hi) / 2, hi].map((v) => (
          <text key={v} x={PAD.l - 6} y={y(v) + 4} text-anchor="end" class="tick">
            {fmtNumber(v)}
          </text>
        ))}
        <text x={PAD.l} y={H - 10} class="tick">
          {fmtDate(points[0].computedAt)}
        </text>
        <text x={W - PAD.r} y={H - 10} text-anchor="end" class="tick">
          {fmtDate(latest.computedAt)}
        </text>
        {series.map((s, i) => {
          const pts = s.values.filter((p) => p.v !== null).map((p) => `${x(p.t).toFixed(1)},${y(p.v as number).toFixed(1)}`)
          return (
            <g key={s.name} stroke={COLOURS[i % COLOURS.length]} fill={COLOURS[i % COLOURS.length]}>
              {pts.length > 1 && <polyline points={pts.join(' ')} fill="none" stroke-width="2" />}
              {pts.map((p) => {
                const [cx, cy] = p.split(',')
                return <circle key={p} cx={cx} cy={cy} r="3" />
              })}
            </g>
          )
        })}
      </svg>
      <figcaption>
        <ul class="legend">
          {series.map((s, i) => (
            <li key={s.name}>
              <span class="swatch" data-colour={i % COLOURS.length} aria-hidden="true" /> {s.name}
            </li>
          ))}
        </ul>
        <details>
          <summary>{label} over time, as a table</summary>
          <table>
            <thead>
              <tr>
                <th scope="col">Snapshot</th>
                {names.map((n) => (
                  <th key={n} scope="col">
                    {n}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {points.map((p) => (
                <tr key={p.version}>
                  <th scope="row">{fmtDate(p.computedAt)}</th>
                  {names.map((n) => {
                    const l = p.leaders.find((e) => e.participant === n)
                    return <td key={n}>{l ? `#${l.rank} · ${fmtNumber(l.value)}` : '–'}</td>
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      </figcaption>
    </figure>
  )
}
