import { useEffect, useState } from 'preact/hooks'
import {
  api,
  get,
  seg,
  type Canary,
  type EvaluationLog,
  type MetricDefinition,
  type ProgressEvent,
  type Submission,
  type SubmissionSeries,
} from '../api.ts'
import { asProblem, LoadError, Loading, Problems, ProgressBar, Scroll, StatusBadge, useLoad } from '../components/ui.tsx'
import { fmtDate, fmtNumber, SEQUENCE_LABELS } from '../format.ts'
import { arrow, loadProfiles } from '../metrics.ts'
import { canOrganise, useSession } from '../session.ts'
import { SignInFirst } from './sign-in.tsx'

const ACTIVE = ['queued', 'running']

function Aggregates({ s, defs }: { s: Submission; defs: MetricDefinition[] }) {
  const table = s.aggregates ?? {}
  const keys = defs.length ? defs.map((d) => d.key).filter((k) => k in table) : Object.keys(table)
  return (
    <Scroll label="Scores">
      <table data-testid="scores">
        <thead>
          <tr>
            <th scope="col">Metric</th>
            <th scope="col">Mean</th>
            <th scope="col">SD</th>
            <th scope="col">Series</th>
          </tr>
        </thead>
        <tbody>
          {keys.map((k) => {
            const a = table[k]
            const d = defs.find((x) => x.key === k)
            return (
              <tr key={k}>
                <th scope="row" title={d?.description}>
                  {d?.label ?? k} {d && arrow(d.order)}
                </th>
                <td class="num">{a?.withheld ? <span title={a.withheld}>withheld</span> : fmtNumber(a?.mean)}</td>
                <td class="num">{fmtNumber(a?.std ?? null)}</td>
                <td class="num">{a?.count ?? 0}</td>
              </tr>
            )
          })}
        </tbody>
      </table>
    </Scroll>
  )
}

function SeriesTable({ id, defs, label }: { id: string; defs: MetricDefinition[]; label: string }) {
  const [series] = useLoad(() => get<SubmissionSeries>(`/submissions/${seg(id)}/series`), [id])
  if (series.state === 'loading') return <Loading what="per-series results" />
  if (series.state === 'error')
    return (
      <p class="muted">
        {series.error.status === 403 ? 'Per-series results of this phase are visible to its organisers only.' : series.error.body.message}
      </p>
    )
  const rows = series.data.series
  if (rows.length === 0) return <p class="muted">No per-series result yet.</p>
  const keys = defs.map((d) => d.key)
  return (
    <Scroll label={label}>
      <table data-testid="series">
        <thead>
          <tr>
            <th scope="col">Series</th>
            <th scope="col">Sequence</th>
            <th scope="col">Status</th>
            {defs.map((d) => (
              <th key={d.key} scope="col" title={d.description}>
                {d.label} {arrow(d.order)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.name}>
              <th scope="row">{r.name}</th>
              <td>{SEQUENCE_LABELS[r.sequence] ?? r.sequence}</td>
              <td>{r.status === 'error' ? <span title={r.error ?? ''}>error: {r.error}</span> : r.status}</td>
              {keys.map((k) => (
                <td key={k} class="num">
                  {fmtNumber(r.metrics[k] ?? null)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </Scroll>
  )
}

function CanaryView({ id, defs, version }: { id: string; defs: MetricDefinition[]; version: number }) {
  const [canary] = useLoad(() => get<Canary>(`/submissions/${seg(id)}/canary`), [id, version])
  if (canary.state === 'loading') return <Loading what="canary run" />
  if (canary.state === 'error') return <Problems error={canary.error} />
  const c = canary.data
  if (!c.evaluationId) return <p class="muted">No canary run: the phase had no public sanity cases when this algorithm was submitted.</p>
  const shown = defs.slice(0, 4)
  return (
    <>
      <p>
        Run on sanity set v{c.testSetVersion}: <StatusBadge status={c.status ?? 'unknown'} />
      </p>
      {c.error && <pre class="log">{c.error}</pre>}
      <ul class="cases">
        {c.series.map((s) => (
          <li key={s.name} class="card">
            <h3>
              {s.name} <span class="muted small">{SEQUENCE_LABELS[s.sequence] ?? s.sequence}</span>
            </h3>
            {s.preview ? (
              <img
                src={s.preview}
                alt={`Mid-sagittal slice of sanity case ${s.name}: reference outlined in green, the model's prediction in magenta`}
                loading="lazy"
              />
            ) : (
              <p class="muted small">
                No picture: the model has produced no mask for this case {c.status && ACTIVE.includes(c.status) ? 'yet' : ''}.
              </p>
            )}
            <p class="small">
              {s.status}
              {s.error ? `: ${s.error}` : ''}
            </p>
            {s.status === 'scored' && (
              <dl class="facts small">
                {shown.flatMap((d) => [
                  <dt key={`${d.key}-t`}>{d.label}</dt>,
                  <dd key={`${d.key}-d`}>{fmtNumber(s.metrics[d.key] ?? null)}</dd>,
                ])}
              </dl>
            )}
          </li>
        ))}
      </ul>
      <p class="muted small">
        Green: reference outlines; magenta: the model's prediction. Public sanity cases only; the hidden test set is never shown.
      </p>
    </>
  )
}

function EvaluationLogView({ id, version }: { id: string; version: number }) {
  const [log] = useLoad(() => get<EvaluationLog[]>(`/submissions/${seg(id)}/evaluations`), [id, version])
  if (log.state === 'loading') return <Loading what="evaluation log" />
  if (log.state === 'error')
    return log.error.status === 403 ? (
      <p class="muted">The evaluation log is for the challenge's organisers.</p>
    ) : (
      <Problems error={log.error} />
    )
  return (
    <ol class="log-list" data-testid="evaluation-log">
      {log.data.map((e) => (
        <li key={e.id}>
          <p>
            {fmtDate(e.createdAt)} · {e.sanityCases ? 'sanity cases' : 'hidden test set'} v{e.testSetVersion} ·{' '}
            <StatusBadge status={e.status} /> · {e.progress.done}/{e.progress.total} series
            {e.finishedAt && e.startedAt && ` · ${Math.round((Date.parse(e.finishedAt) - Date.parse(e.startedAt)) / 1000)} s`} · scorer{' '}
            {e.scorerVersion}
          </p>
          {e.error && (
            <pre class="log">
              {e.errorKind ? `[${e.errorKind} fault] ` : ''}
              {e.error}
            </pre>
          )}
          {e.failedSeries.length > 0 && (
            <ul class="small">
              {e.failedSeries.map((f) => (
                <li key={f.name}>
                  {f.name}: {f.error}
                </li>
              ))}
            </ul>
          )}
        </li>
      ))}
    </ol>
  )
}

/** `/submissions/:id`: live status (server-sent events), scores, per-series table, canary, organiser log. */
export function SubmissionPage({ id }: { id: string }) {
  const { me } = useSession()
  const [version, setVersion] = useState(0)
  const [sub, reload] = useLoad(async () => {
    const s = await get<Submission>(`/submissions/${seg(id)}`)
    const profiles = await loadProfiles()
    const c = await get<{
      title: string
      phases: Array<{ slug: string; title: string; scoringProfile: string; perSeriesVisibility: string }>
    }>(`/challenges/${seg(s.challenge)}`)
    const ph = c.phases.find((p) => p.slug === s.phase)
    return { s, c, ph, defs: profiles.find((p) => p.name === ph?.scoringProfile)?.metrics ?? [] }
  }, [id, me?.id])
  const [live, setLive] = useState<ProgressEvent | null>(null)
  const [actionError, setActionError] = useState<ReturnType<typeof asProblem> | null>(null)
  // One event stream for the whole time the submission is queued or running.
  const active = sub.state === 'ok' && ACTIVE.includes(sub.data.s.status)

  // Live progress while queued or running: the API's event stream; the submission document
  // (queue position, estimated start, waiting reason) is read again on every event.
  useEffect(() => {
    if (!active) return
    const source = new EventSource(`/api/v1/submissions/${seg(id)}/events`)
    let last = 0
    const onProgress = (e: MessageEvent<string>) => {
      setLive(JSON.parse(e.data) as ProgressEvent)
      if (Date.now() - last > 1500) {
        last = Date.now()
        void reload()
      }
    }
    const onEnd = (e: MessageEvent<string>) => {
      setLive(JSON.parse(e.data) as ProgressEvent)
      source.close()
      void reload().then(() => setVersion((v) => v + 1))
    }
    source.addEventListener('progress', onProgress as EventListener)
    source.addEventListener('end', onEnd as EventListener)
    // A dropped stream: the browser reconnects; the document is read again meanwhile.
    source.onerror = () => void reload()
    return () => source.close()
  }, [id, active, reload])

  if (!me) return <SignInFirst what="see this submission" />
  if (sub.state === 'loading') return <Loading what="submission" />
  if (sub.state === 'error') return <LoadError error={sub.error} what="submission" />
  const { s, c, ph, defs } = sub.data
  const progress = live && ACTIVE.includes(s.status) ? live.progress : s.progress
  const manager = canOrganise(me)
  const base = `/challenges/${seg(s.challenge)}/phases/${seg(s.phase)}`
  const act = async (what: 'cancel' | 'reevaluate') => {
    setActionError(null)
    try {
      await api('POST', `/submissions/${seg(id)}/${what}`)
      await reload()
      setVersion((v) => v + 1)
    } catch (err) {
      setActionError(asProblem(err))
    }
  }
  return (
    <section>
      <p class="crumbs">
        <a href="/">Challenges</a> / <a href={`/challenges/${seg(s.challenge)}`}>{c.title}</a> / <a href={base}>{ph?.title ?? s.phase}</a> /
      </p>
      <h1>
        Submission <code class="id">{s.id.slice(0, 8)}</code>
      </h1>
      <dl class="facts">
        <dt>Status</dt>
        <dd data-testid="status">
          <StatusBadge status={s.status} />
        </dd>
        <dt>Participant</dt>
        <dd>{s.participant}</dd>
        <dt>Kind</dt>
        <dd>{s.kind}</dd>
        <dt>Submitted</dt>
        <dd>{fmtDate(s.createdAt)}</dd>
        {s.queuePosition != null && (
          <>
            <dt>Queue position</dt>
            <dd data-testid="queue-position">{s.queuePosition}</dd>
          </>
        )}
        {s.estimatedStartAt && (
          <>
            <dt>Expected start</dt>
            <dd>{fmtDate(s.estimatedStartAt)}</dd>
          </>
        )}
      </dl>
      {ACTIVE.includes(s.status) && (
        <div aria-live="polite">
          <ProgressBar value={progress.total > 0 ? progress.done / progress.total : 0} label="Evaluation progress" />
          <p class="small">
            {progress.done} of {progress.total || '?'} series evaluated
          </p>
          {s.waitingReason && <p class="note">{s.waitingReason}</p>}
        </div>
      )}
      {s.notice && <p class="note">{s.notice}</p>}
      {s.error && (
        <div class="problems" role="alert">
          <p>
            <strong>The evaluation failed:</strong>
          </p>
          <pre class="log">{s.error}</pre>
        </div>
      )}
      <p class="actions">
        {ACTIVE.includes(s.status) && (
          <button type="button" class="secondary" onClick={() => void act('cancel')}>
            Cancel
          </button>
        )}
        {manager && !ACTIVE.includes(s.status) && (
          <button type="button" class="secondary" onClick={() => void act('reevaluate')}>
            Re-evaluate
          </button>
        )}
        <a href={base}>Leaderboard</a>
      </p>
      {actionError && <Problems error={actionError} />}
      {s.status === 'succeeded' && (
        <>
          <h2>Scores</h2>
          <Aggregates s={s} defs={defs} />
          <h2>Per series</h2>
          <SeriesTable key={version} id={s.id} defs={defs} label="Per-series results" />
        </>
      )}
      {s.kind === 'algorithm' && (
        <>
          <h2>Canary run on the public sanity cases</h2>
          <CanaryView id={s.id} defs={defs} version={version} />
        </>
      )}
      {manager && (
        <>
          <h2>Evaluation log</h2>
          <EvaluationLogView id={s.id} version={version} />
        </>
      )}
    </section>
  )
}
