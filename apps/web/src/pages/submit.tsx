import { useState } from 'preact/hooks'
import { get, seg, upload, type ApiProblem, type Challenge, type Quota } from '../api.ts'
import { asProblem, DropZone, LoadError, Loading, NotFound, Problems, ProgressBar, useLoad } from '../components/ui.tsx'
import { fmtBytes, fmtDate, phaseWindow } from '../format.ts'
import { navigate } from '../router.ts'
import { useSession } from '../session.ts'
import { SignInFirst } from './sign-in.tsx'

export function QuotaBox({ quota, challenge, phase }: { quota: Quota; challenge: string; phase: string }) {
  return (
    <div class="card quota" data-testid="quota">
      <h2>Your quota</h2>
      <p>
        {quota.limit ? (
          <>
            <strong>{quota.remaining}</strong> of {quota.limit.count} submissions left in the last {quota.limit.periodHours} h{' '}
            {`(${quota.used} used).`}
          </>
        ) : (
          <>No submission limit ({quota.used} counted so far).</>
        )}
        {quota.nextAt && <> Next submission allowed at {fmtDate(quota.nextAt)}.</>}
      </p>
      {quota.activeSubmissionId && (
        <p>
          Your <a href={`/submissions/${seg(quota.activeSubmissionId)}`}>submission in progress</a> must finish before you submit again.
        </p>
      )}
      <p class="small">
        <a href={`/account#${seg(challenge)}-${seg(phase)}`}>My submissions</a>
      </p>
    </div>
  )
}

/** `/challenges/:c/phases/:p/submit`: predictions archive or algorithm, with drag and drop and progress. */
export function SubmitPage({ challenge, phase }: { challenge: string; phase: string }) {
  const { me } = useSession()
  const base = `/challenges/${seg(challenge)}/phases/${seg(phase)}`
  const [data, reload] = useLoad(async () => {
    if (!me) return null
    const [c, quota] = await Promise.all([get<Challenge>(`/challenges/${seg(challenge)}`), get<Quota>(`${base}/quota`)])
    return { c, ph: c.phases.find((p) => p.slug === phase), quota }
  }, [challenge, phase, me?.id])
  const [kind, setKind] = useState<'predictions' | 'algorithm' | null>(null)
  const [archive, setArchive] = useState<File | null>(null)
  const [model, setModel] = useState<File | null>(null)
  const [config, setConfig] = useState<File | null>(null)
  const [progress, setProgress] = useState<number | null>(null)
  const [error, setError] = useState<ApiProblem | null>(null)
  if (!me) return <SignInFirst what="submit" />
  if (data.state === 'loading' || (data.state === 'ok' && data.data === null)) return <Loading what="phase" />
  if (data.state === 'error') return <LoadError error={data.error} what="phase" />
  const { c, ph, quota } = data.data as NonNullable<typeof data.data>
  if (!ph) return <NotFound what="phase" />
  const chosen = kind ?? (ph.submissionKinds[0] as 'predictions' | 'algorithm')
  const state = phaseWindow(ph.opensAt, ph.closesAt)
  const ready = chosen === 'predictions' ? archive !== null : model !== null && config !== null
  const busy = progress !== null

  const submit = async (e: Event) => {
    e.preventDefault()
    setError(null)
    const form = new FormData()
    form.append('kind', chosen)
    if (chosen === 'predictions' && archive) form.append('predictions', archive, archive.name)
    if (chosen === 'algorithm' && model && config) {
      form.append('model', model, model.name)
      form.append('config', config, config.name)
    }
    setProgress(0)
    try {
      const accepted = await upload<{ id: string }>('POST', `${base}/submissions`, form, setProgress)
      navigate(`/submissions/${seg(accepted.id)}`)
    } catch (err) {
      setError(asProblem(err))
      setProgress(null)
      void reload()
    }
  }

  return (
    <section>
      <p class="crumbs">
        <a href="/">Challenges</a> / <a href={`/challenges/${seg(challenge)}`}>{c.title}</a> / <a href={base}>{ph.title}</a> /
      </p>
      <h1>Submit to {ph.title}</h1>
      {!state.open && <p class="problems">This phase is {state.text}: submissions are refused.</p>}
      <QuotaBox quota={quota} challenge={challenge} phase={phase} />
      <form onSubmit={(e) => void submit(e)} class="card">
        {ph.submissionKinds.length > 1 && (
          <fieldset>
            <legend>What do you submit?</legend>
            {ph.submissionKinds.map((k) => (
              <label key={k} class="radio">
                <input
                  type="radio"
                  name="kind"
                  value={k}
                  checked={chosen === k}
                  onChange={() => setKind(k as 'predictions' | 'algorithm')}
                />{' '}
                {k === 'predictions' ? 'Predictions: an archive of masks' : 'Algorithm: an ONNX model and its config'}
              </label>
            ))}
          </fieldset>
        )}
        {chosen === 'predictions' ? (
          <>
            <DropZone
              id="predictions"
              label="Predictions archive (.zip or .tar.gz)"
              accept=".zip,.tar.gz,.tgz,application/zip,application/gzip"
              file={archive}
              onFile={setArchive}
              hint="One mask per test series, named like the series (e.g. 1_t1.mha)."
            />
            {ph.testSet?.series && (
              <details>
                <summary>The {ph.testSet.series.length} test series a prediction must cover</summary>
                <ul class="columns small">
                  {ph.testSet.series.map((s) => (
                    <li key={s.name}>
                      {s.name} <span class="muted">({s.size.join('×')})</span>
                    </li>
                  ))}
                </ul>
              </details>
            )}
          </>
        ) : (
          <>
            <DropZone
              id="model"
              label="Model (ONNX)"
              accept=".onnx"
              file={model}
              onFile={setModel}
              hint={`At most ${fmtBytes(ph.resources.maxModelBytes)}.`}
            />
            <DropZone
              id="config"
              label="Config (JSON)"
              accept=".json,application/json"
              file={config}
              onFile={setConfig}
              hint="See the algorithm config schema at /api/v1/schemas/algorithm-config."
            />
            <p class="muted small">
              Each series gets {Math.round(ph.resources.inferenceTimePerSeriesMs / 1000)} s and {ph.resources.memoryLimitMb} MiB (
              {ph.resources.executionProviders.join(', ')}). The model first runs on the public sanity cases, where you see its full output.
            </p>
          </>
        )}
        {busy && <ProgressBar value={progress} label="Upload progress" />}
        <p>
          <button type="submit" disabled={!ready || busy}>
            {busy ? (progress !== null && progress >= 1 ? 'Checking…' : 'Uploading…') : 'Submit'}
          </button>
        </p>
      </form>
      {error && <Problems error={error} />}
    </section>
  )
}
