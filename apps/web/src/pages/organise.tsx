import { useState } from 'preact/hooks'
import {
  api,
  ApiProblem,
  get,
  seg,
  upload,
  type Challenge,
  type MetricDefinition,
  type Phase,
  type ScoringProfile,
  type Submission,
} from '../api.ts'
import {
  asProblem,
  DropZone,
  LoadError,
  Loading,
  NotFound,
  Problems,
  ProgressBar,
  Scroll,
  StatusBadge,
  useLoad,
} from '../components/ui.tsx'
import { fmtDate, fromLocalInput, toLocalInput } from '../format.ts'
import { arrow, loadProfiles } from '../metrics.ts'
import { navigate } from '../router.ts'
import { canOrganise, useSession } from '../session.ts'
import { SignInFirst } from './sign-in.tsx'

/**
 * Maps an API refusal to form fields: request validation names paths (`/slug`,
 * `/ranking/metrics`), the services' messages start with the field (`opensAt (...) must be
 * before closesAt`, `ranking.metrics: ...`). What fits no field is shown above the form.
 */
function fieldProblems(err: ApiProblem, fields: string[]): { byField: Record<string, string[]>; general: string[] } {
  const byField: Record<string, string[]> = {}
  const general: string[] = []
  const add = (field: string | undefined, message: string) => {
    if (field) (byField[field] ??= []).push(message)
    else general.push(message)
  }
  const paths = err.fieldErrors
  if (paths.length > 0) {
    for (const p of paths) {
      const first = p.path.split('/').filter(Boolean)[0]
      add(fields.includes(first) ? first : undefined, `${p.path.replace(/^\//, '').replace(/\//g, '.') || 'body'} ${p.message}`)
    }
    return { byField, general }
  }
  const m = /^([A-Za-z]+)[\s.:(]/.exec(err.body.message)
  add(m && fields.includes(m[1]) ? m[1] : undefined, err.body.message)
  return { byField, general }
}

function FieldError({ id, messages }: { id: string; messages?: string[] }) {
  if (!messages?.length) return null
  return (
    <p id={`${id}-error`} class="field-error" role="alert">
      {messages.join('; ')}
    </p>
  )
}

const described = (id: string, errors: Record<string, string[]>) =>
  errors[id]?.length ? { 'aria-describedby': `${id}-error`, 'aria-invalid': true } : {}

/** `/organise`: the challenges one may manage, and a form for a new one. */
export function OrganiseHome() {
  const { me } = useSession()
  const [list, reload] = useLoad(() => get<Challenge[]>('/challenges'), [])
  const [slug, setSlug] = useState('')
  const [title, setTitle] = useState('')
  const [description, setDescription] = useState('')
  const [errors, setErrors] = useState<{ byField: Record<string, string[]>; general: string[] }>({ byField: {}, general: [] })
  if (!me) return <SignInFirst what="organise challenges" />
  if (!canOrganise(me)) return <p>Organising challenges needs the organiser or admin role; you are {me.role}.</p>
  const mine = list.state === 'ok' ? list.data.filter((c) => me.role === 'admin' || c.owner === me.name) : []
  return (
    <section>
      <h1>Organise</h1>
      {list.state === 'loading' && <Loading what="challenges" />}
      {list.state === 'error' && <LoadError error={list.error} what="challenges" />}
      {list.state === 'ok' && (
        <ul>
          {mine.map((c) => (
            <li key={c.slug}>
              <a href={`/organise/challenges/${seg(c.slug)}`}>{c.title}</a> <span class="muted small">({c.phases.length} phases)</span>
            </li>
          ))}
          {mine.length === 0 && <li>You manage no challenge yet.</li>}
        </ul>
      )}
      <h2>New challenge</h2>
      <form
        class="card"
        noValidate
        onSubmit={(e) =>
          void (async () => {
            e.preventDefault()
            setErrors({ byField: {}, general: [] })
            try {
              const c = await api<Challenge>('POST', '/challenges', { slug, title, ...(description ? { description } : {}) })
              await reload()
              navigate(`/organise/challenges/${seg(c.slug)}`)
            } catch (err) {
              setErrors(fieldProblems(asProblem(err), ['slug', 'title', 'description']))
            }
          })()
        }
      >
        {errors.general.length > 0 && (
          <div class="problems" role="alert">
            {errors.general.map((g, i) => (
              <p key={i}>{g}</p>
            ))}
          </div>
        )}
        <label for="c-slug">Slug (in URLs)</label>
        <input
          id="c-slug"
          value={slug}
          onInput={(e) => setSlug((e.currentTarget as HTMLInputElement).value)}
          {...described('slug', errors.byField)}
        />
        <FieldError id="slug" messages={errors.byField.slug} />
        <label for="c-title">Title</label>
        <input
          id="c-title"
          value={title}
          onInput={(e) => setTitle((e.currentTarget as HTMLInputElement).value)}
          {...described('title', errors.byField)}
        />
        <FieldError id="title" messages={errors.byField.title} />
        <label for="c-description">Description (Markdown)</label>
        <textarea
          id="c-description"
          rows={6}
          value={description}
          onInput={(e) => setDescription((e.currentTarget as HTMLTextAreaElement).value)}
          {...described('description', errors.byField)}
        />
        <FieldError id="description" messages={errors.byField.description} />
        <p>
          <button type="submit">Create challenge</button>
        </p>
      </form>
    </section>
  )
}

interface PhaseFormValue {
  slug: string
  title: string
  scoringProfile: string
  submissionKinds: string[]
  method: string
  metrics: Array<{ key: string; order: 'asc' | 'desc' }>
  entries: string
  limitCount: string
  limitHours: string
  opensAt: string
  closesAt: string
  perSeriesVisibility: string
}

const PHASE_FIELDS = [
  'slug',
  'title',
  'scoringProfile',
  'submissionKinds',
  'ranking',
  'entries',
  'submissionLimit',
  'opensAt',
  'closesAt',
  'perSeriesVisibility',
]

function initialPhase(p: Phase | null, profiles: ScoringProfile[]): PhaseFormValue {
  const profile = p?.scoringProfile ?? profiles[0]?.name ?? 'spider'
  const first = profiles.find((x) => x.name === profile)?.metrics[0]
  return {
    slug: p?.slug ?? '',
    title: p?.title ?? '',
    scoringProfile: profile,
    submissionKinds: p?.submissionKinds ?? ['predictions'],
    method: p?.ranking.method ?? 'mean-position',
    metrics: p?.ranking.metrics.map((m) => ({ key: m.key, order: m.order })) ?? (first ? [{ key: first.key, order: first.order }] : []),
    entries: p?.entries ?? 'best',
    limitCount: p?.submissionLimit ? String(p.submissionLimit.count) : '',
    limitHours: p?.submissionLimit ? String(p.submissionLimit.periodHours) : '24',
    opensAt: toLocalInput(p?.opensAt),
    closesAt: toLocalInput(p?.closesAt),
    perSeriesVisibility: p?.perSeriesVisibility ?? 'owner',
  }
}

function phaseBody(v: PhaseFormValue) {
  const count = v.limitCount.trim()
  return {
    slug: v.slug,
    title: v.title,
    scoringProfile: v.scoringProfile,
    submissionKinds: v.submissionKinds,
    ranking: { method: v.method, metrics: v.metrics },
    entries: v.entries,
    // Sent as typed: the API names a count or period that is not a whole number.
    submissionLimit:
      count === ''
        ? null
        : {
            count: /^\d+$/.test(count) ? Number(count) : count,
            periodHours: /^\d+$/.test(v.limitHours.trim()) ? Number(v.limitHours.trim()) : v.limitHours,
          },
    opensAt: fromLocalInput(v.opensAt),
    closesAt: fromLocalInput(v.closesAt),
    perSeriesVisibility: v.perSeriesVisibility,
  }
}

/** Create or edit a phase; the API's validation messages appear next to their fields. */
function PhaseForm({
  challenge,
  phase,
  profiles,
  onSaved,
}: {
  challenge: string
  phase: Phase | null
  profiles: ScoringProfile[]
  onSaved: (p: Phase) => void
}) {
  const [v, setV] = useState<PhaseFormValue>(() => initialPhase(phase, profiles))
  const [errors, setErrors] = useState<{ byField: Record<string, string[]>; general: string[] }>({ byField: {}, general: [] })
  const [saved, setSaved] = useState(false)
  const set = (patch: Partial<PhaseFormValue>) => {
    setSaved(false)
    setV((old) => ({ ...old, ...patch }))
  }
  const defs: MetricDefinition[] = profiles.find((x) => x.name === v.scoringProfile)?.metrics ?? []
  const p = phase ? 'e' : 'n'
  const input = (field: keyof PhaseFormValue) => ({
    id: `${p}-${field}`,
    value: v[field] as string,
    onInput: (e: Event) => set({ [field]: (e.currentTarget as HTMLInputElement).value } as Partial<PhaseFormValue>),
  })
  const err = (field: string) =>
    described(`${p}-${field}`, Object.fromEntries(Object.entries(errors.byField).map(([k, m]) => [`${p}-${k}`, m])))
  return (
    <form
      class="card phase-form"
      noValidate
      onSubmit={(e) =>
        void (async () => {
          e.preventDefault()
          setErrors({ byField: {}, general: [] })
          try {
            const saved = phase
              ? await api<Phase>('PATCH', `/challenges/${seg(challenge)}/phases/${seg(phase.slug)}`, phaseBody(v))
              : await api<Phase>('POST', `/challenges/${seg(challenge)}/phases`, phaseBody(v))
            setSaved(true)
            onSaved(saved)
          } catch (caught) {
            setErrors(fieldProblems(asProblem(caught), PHASE_FIELDS))
          }
        })()
      }
    >
      {errors.general.length > 0 && (
        <div class="problems" role="alert">
          {errors.general.map((g, i) => (
            <p key={i}>{g}</p>
          ))}
        </div>
      )}
      <div class="two">
        <div>
          <label for={`${p}-slug`}>Slug</label>
          <input {...input('slug')} {...err('slug')} />
          <FieldError id={`${p}-slug`} messages={errors.byField.slug} />
        </div>
        <div>
          <label for={`${p}-title`}>Title</label>
          <input {...input('title')} {...err('title')} />
          <FieldError id={`${p}-title`} messages={errors.byField.title} />
        </div>
        <div>
          <label for={`${p}-scoringProfile`}>Scoring profile</label>
          <select
            {...input('scoringProfile')}
            onChange={(e) => set({ scoringProfile: (e.currentTarget as HTMLSelectElement).value, metrics: [] })}
            {...err('scoringProfile')}
          >
            {profiles.map((x) => (
              <option key={x.name} value={x.name}>
                {x.name}
              </option>
            ))}
          </select>
          <FieldError id={`${p}-scoringProfile`} messages={errors.byField.scoringProfile} />
        </div>
        <fieldset {...err('submissionKinds')}>
          <legend>Submission kinds</legend>
          {['predictions', 'algorithm'].map((k) => (
            <label key={k} class="radio">
              <input
                type="checkbox"
                name={`${p}-kind`}
                value={k}
                checked={v.submissionKinds.includes(k)}
                onChange={(e) =>
                  set({
                    submissionKinds: (e.currentTarget as HTMLInputElement).checked
                      ? [...v.submissionKinds, k]
                      : v.submissionKinds.filter((x) => x !== k),
                  })
                }
              />{' '}
              {k}
            </label>
          ))}
          <FieldError id={`${p}-submissionKinds`} messages={errors.byField.submissionKinds} />
        </fieldset>
        <div>
          <label for={`${p}-method`}>Ranking method</label>
          <select {...input('method')} onChange={(e) => set({ method: (e.currentTarget as HTMLSelectElement).value })}>
            <option value="mean-position">mean position</option>
            <option value="median-position">median position</option>
            <option value="absolute">absolute (first metric)</option>
          </select>
        </div>
        <div>
          <label for={`${p}-entries`}>Entries on the board</label>
          <select
            {...input('entries')}
            onChange={(e) => set({ entries: (e.currentTarget as HTMLSelectElement).value })}
            {...err('entries')}
          >
            <option value="best">best per participant</option>
            <option value="latest">latest per participant</option>
            <option value="all">all</option>
          </select>
        </div>
      </div>
      <fieldset {...err('ranking')}>
        <legend>Ranking metrics (in order of importance)</legend>
        <div class="columns">
          {defs.map((d) => {
            const i = v.metrics.findIndex((m) => m.key === d.key)
            return (
              <label key={d.key} class="radio">
                <input
                  type="checkbox"
                  checked={i >= 0}
                  onChange={(e) =>
                    set({
                      metrics: (e.currentTarget as HTMLInputElement).checked
                        ? [...v.metrics, { key: d.key, order: d.order }]
                        : v.metrics.filter((m) => m.key !== d.key),
                    })
                  }
                />{' '}
                {i >= 0 ? `${i + 1}. ` : ''}
                {d.label} {arrow(d.order)}
              </label>
            )
          })}
        </div>
        <FieldError id={`${p}-ranking`} messages={errors.byField.ranking} />
      </fieldset>
      <div class="two">
        <div>
          <label for={`${p}-limitCount`}>Submissions per period (empty: no limit)</label>
          <input inputMode="numeric" {...input('limitCount')} {...err('submissionLimit')} />
        </div>
        <div>
          <label for={`${p}-limitHours`}>Period (hours)</label>
          <input inputMode="numeric" {...input('limitHours')} {...err('submissionLimit')} />
        </div>
        <FieldError id={`${p}-submissionLimit`} messages={errors.byField.submissionLimit} />
        <div>
          <label for={`${p}-opensAt`}>Opens (empty: now)</label>
          <input type="datetime-local" {...input('opensAt')} {...err('opensAt')} />
          <FieldError id={`${p}-opensAt`} messages={errors.byField.opensAt} />
        </div>
        <div>
          <label for={`${p}-closesAt`}>Closes (empty: never)</label>
          <input type="datetime-local" {...input('closesAt')} {...err('closesAt')} />
          <FieldError id={`${p}-closesAt`} messages={errors.byField.closesAt} />
        </div>
        <div>
          <label for={`${p}-perSeriesVisibility`}>Per-series results visible to</label>
          <select
            {...input('perSeriesVisibility')}
            onChange={(e) => set({ perSeriesVisibility: (e.currentTarget as HTMLSelectElement).value })}
          >
            <option value="owner">the participant who submitted</option>
            <option value="organisers">the organisers only</option>
          </select>
        </div>
      </div>
      <p>
        <button type="submit">{phase ? 'Save phase' : 'Create phase'}</button> {saved && <span role="status">Saved.</span>}
      </p>
    </form>
  )
}

/** `/organise/challenges/:c`: edit the challenge, list and create its phases. */
export function OrganiseChallenge({ challenge }: { challenge: string }) {
  const { me } = useSession()
  const [data, reload] = useLoad(async () => {
    const [c, profiles] = await Promise.all([get<Challenge>(`/challenges/${seg(challenge)}`), loadProfiles()])
    return { c, profiles }
  }, [challenge])
  const [title, setTitle] = useState<string | null>(null)
  const [description, setDescription] = useState<string | null>(null)
  const [editError, setEditError] = useState<ApiProblem | null>(null)
  const [editSaved, setEditSaved] = useState(false)
  if (!me) return <SignInFirst what="organise challenges" />
  if (data.state === 'loading') return <Loading what="challenge" />
  if (data.state === 'error') return <LoadError error={data.error} what="challenge" />
  const { c, profiles } = data.data
  return (
    <section>
      <p class="crumbs">
        <a href="/organise">Organise</a> /
      </p>
      <h1>{c.title}</h1>
      <p class="small">
        <a href={`/challenges/${seg(c.slug)}`}>Public page</a>
      </p>
      <h2>Details</h2>
      <form
        class="card"
        onSubmit={(e) =>
          void (async () => {
            e.preventDefault()
            setEditError(null)
            setEditSaved(false)
            try {
              await api('PATCH', `/challenges/${seg(c.slug)}`, { title: title ?? c.title, description: description ?? c.description })
              setEditSaved(true)
              await reload()
            } catch (err) {
              setEditError(asProblem(err))
            }
          })()
        }
      >
        <label for="edit-title">Title</label>
        <input id="edit-title" value={title ?? c.title} onInput={(e) => setTitle((e.currentTarget as HTMLInputElement).value)} />
        <label for="edit-description">Description (Markdown)</label>
        <textarea
          id="edit-description"
          rows={8}
          value={description ?? c.description ?? ''}
          onInput={(e) => setDescription((e.currentTarget as HTMLTextAreaElement).value)}
        />
        <p>
          <button type="submit">Save</button> {editSaved && <span role="status">Saved.</span>}
        </p>
        {editError && <Problems error={editError} />}
      </form>
      <h2>Phases</h2>
      <ul>
        {c.phases.map((p) => (
          <li key={p.slug}>
            <a href={`/organise/challenges/${seg(c.slug)}/phases/${seg(p.slug)}`}>{p.title}</a>{' '}
            <span class="muted small">({p.testSet ? `test set v${p.testSet.version}, ${p.testSet.count} series` : 'no test set yet'})</span>
          </li>
        ))}
        {c.phases.length === 0 && <li>No phase yet.</li>}
      </ul>
      <h2>New phase</h2>
      <PhaseForm
        challenge={c.slug}
        phase={null}
        profiles={profiles}
        onSaved={(p) => navigate(`/organise/challenges/${seg(c.slug)}/phases/${seg(p.slug)}`)}
      />
    </section>
  )
}

function SetUpload({
  challenge,
  phase,
  which,
  onDone,
}: {
  challenge: string
  phase: string
  which: 'test-set' | 'sanity-set'
  onDone: () => void
}) {
  const [file, setFile] = useState<File | null>(null)
  const [progress, setProgress] = useState<number | null>(null)
  const [error, setError] = useState<ApiProblem | null>(null)
  const [result, setResult] = useState<{ version: number; count: number } | null>(null)
  const label = which === 'test-set' ? 'Hidden test set' : 'Public sanity cases'
  return (
    <form
      class="card"
      onSubmit={(e) =>
        void (async () => {
          e.preventDefault()
          if (!file) return
          setError(null)
          setResult(null)
          setProgress(0)
          const form = new FormData()
          form.append('archive', file, file.name)
          try {
            setResult(
              await upload<{ version: number; count: number }>(
                'PUT',
                `/challenges/${seg(challenge)}/phases/${seg(phase)}/${which}`,
                form,
                setProgress,
              ),
            )
            onDone()
          } catch (err) {
            setError(asProblem(err))
          } finally {
            setProgress(null)
          }
        })()
      }
    >
      <DropZone
        id={which}
        label={`${label} archive (.zip or .tar.gz with images/ and masks/)`}
        accept=".zip,.tar.gz,.tgz"
        file={file}
        onFile={setFile}
      />
      {progress !== null && <ProgressBar value={progress} label={`${label} upload progress`} />}
      <p>
        <button type="submit" disabled={!file || progress !== null}>
          {progress !== null ? (progress >= 1 ? 'Checking…' : 'Uploading…') : `Upload ${label.toLowerCase()}`}
        </button>
      </p>
      {result && (
        <p role="status" data-testid={`${which}-result`}>
          Version {result.version}: {result.count} series.
        </p>
      )}
      {error && <Problems error={error} />}
    </form>
  )
}

/** `/organise/challenges/:c/phases/:p`: edit, upload sets, every submission with failures and logs, re-evaluate. */
export function OrganisePhase({ challenge, phase }: { challenge: string; phase: string }) {
  const { me } = useSession()
  const [data, reload] = useLoad(async () => {
    const [c, profiles, subs] = await Promise.all([
      get<Challenge>(`/challenges/${seg(challenge)}`),
      loadProfiles(),
      get<Submission[]>(`/challenges/${seg(challenge)}/phases/${seg(phase)}/submissions`),
    ])
    return { c, profiles, subs, ph: c.phases.find((p) => p.slug === phase) ?? null }
  }, [challenge, phase])
  const [message, setMessage] = useState<string | null>(null)
  const [actionError, setActionError] = useState<ApiProblem | null>(null)
  if (!me) return <SignInFirst what="organise challenges" />
  if (data.state === 'loading') return <Loading what="phase" />
  if (data.state === 'error') return <LoadError error={data.error} what="phase" />
  const { c, profiles, subs, ph } = data.data
  if (!ph) return <NotFound what="phase" />
  const reevaluateAll = async () => {
    setActionError(null)
    try {
      const r = await api<{ created: unknown[]; skipped: unknown[] }>(
        'POST',
        `/challenges/${seg(challenge)}/phases/${seg(phase)}/reevaluate`,
      )
      setMessage(`${r.created.length} evaluations queued, ${r.skipped.length} skipped.`)
      await reload()
    } catch (err) {
      setActionError(asProblem(err))
    }
  }
  return (
    <section>
      <p class="crumbs">
        <a href="/organise">Organise</a> / <a href={`/organise/challenges/${seg(c.slug)}`}>{c.title}</a> /
      </p>
      <h1>{ph.title}</h1>
      <p class="small">
        <a href={`/challenges/${seg(c.slug)}/phases/${seg(ph.slug)}`}>Leaderboard</a> · test set:{' '}
        {ph.testSet ? `v${ph.testSet.version}, ${ph.testSet.count} series (${fmtDate(ph.testSet.createdAt)})` : 'none yet'}
      </p>
      <h2>Test data</h2>
      <div class="grid">
        <SetUpload challenge={c.slug} phase={ph.slug} which="test-set" onDone={() => void reload()} />
        <SetUpload challenge={c.slug} phase={ph.slug} which="sanity-set" onDone={() => void reload()} />
      </div>
      <h2>Settings</h2>
      <PhaseForm
        key={ph.updatedAt}
        challenge={c.slug}
        phase={ph}
        profiles={profiles}
        onSaved={(p) => (p.slug !== ph.slug ? navigate(`/organise/challenges/${seg(c.slug)}/phases/${seg(p.slug)}`, true) : void reload())}
      />
      <h2>Submissions</h2>
      <p class="actions">
        <button type="button" class="secondary" onClick={() => void reevaluateAll()}>
          Re-evaluate every submission
        </button>
        {message && <span role="status">{message}</span>}
      </p>
      {actionError && <Problems error={actionError} />}
      {subs.length === 0 ? (
        <p>No submission yet.</p>
      ) : (
        <Scroll label="All submissions">
          <table data-testid="all-submissions">
            <thead>
              <tr>
                <th scope="col">Submitted</th>
                <th scope="col">Participant</th>
                <th scope="col">Kind</th>
                <th scope="col">Status</th>
                <th scope="col">Failure</th>
                <th scope="col">Log</th>
              </tr>
            </thead>
            <tbody>
              {subs.map((s) => (
                <tr key={s.id}>
                  <td class="nowrap">{fmtDate(s.createdAt)}</td>
                  <td>{s.participant}</td>
                  <td>{s.kind}</td>
                  <td>
                    <StatusBadge status={s.status} />
                  </td>
                  <td class="small">{s.error ?? ''}</td>
                  <td>
                    <a href={`/submissions/${seg(s.id)}`}>{s.id.slice(0, 8)}</a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </Scroll>
      )}
    </section>
  )
}
