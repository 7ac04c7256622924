import { get, seg, type Challenge, type MetricDefinition, type Phase } from '../api.ts'
import { LoadError, Loading, Scroll, useLoad } from '../components/ui.tsx'
import { fmtDate, phaseWindow } from '../format.ts'
import { renderMarkdown } from '../markdown.ts'
import { arrow, betterText, ENTRIES_TEXT, loadProfiles, METHOD_TEXT, unitText } from '../metrics.ts'
import { canOrganise, useSession } from '../session.ts'

function PhaseRules({ challenge, phase, metrics }: { challenge: string; phase: Phase; metrics: MetricDefinition[] }) {
  const state = phaseWindow(phase.opensAt, phase.closesAt)
  const { me } = useSession()
  return (
    <article class="card" aria-labelledby={`phase-${phase.slug}`}>
      <h3 id={`phase-${phase.slug}`}>{phase.title}</h3>
      <dl class="facts">
        <dt>Opens</dt>
        <dd>{phase.opensAt ? fmtDate(phase.opensAt) : 'now'}</dd>
        <dt>Closes</dt>
        <dd>{phase.closesAt ? fmtDate(phase.closesAt) : 'never'}</dd>
        <dt>State</dt>
        <dd>{state.text}</dd>
        <dt>Submissions</dt>
        <dd>
          {phase.submissionKinds
            .map((k) => (k === 'predictions' ? 'predictions (an archive of masks)' : 'algorithms (ONNX model + config)'))
            .join(' or ')}
          {phase.submissionLimit ? `; at most ${phase.submissionLimit.count} per ${phase.submissionLimit.periodHours} h` : ''}
        </dd>
        <dt>Ranking</dt>
        <dd>
          {phase.ranking.method}: {METHOD_TEXT[phase.ranking.method] ?? ''}; entries: {ENTRIES_TEXT[phase.entries] ?? phase.entries}
        </dd>
        <dt>Ranking metrics</dt>
        <dd>
          {phase.ranking.metrics.map((m, i) => (
            <span key={m.key}>
              {i > 0 ? ', ' : ''}
              {metrics.find((d) => d.key === m.key)?.label ?? m.key} {arrow(m.order)}
            </span>
          ))}
        </dd>
        <dt>Test set</dt>
        <dd>{phase.testSet ? `version ${phase.testSet.version}, ${phase.testSet.count} series` : 'not uploaded yet'}</dd>
      </dl>
      <p class="actions">
        <a class="button" href={`/challenges/${seg(challenge)}/phases/${seg(phase.slug)}`}>
          Leaderboard
        </a>
        {me && state.open && (
          <a class="button secondary" href={`/challenges/${seg(challenge)}/phases/${seg(phase.slug)}/submit`}>
            Submit
          </a>
        )}
      </p>
    </article>
  )
}

/** `/challenges/:challenge`: description, phases with their rules, metric definitions. */
export function ChallengePage({ challenge }: { challenge: string }) {
  const { me } = useSession()
  const [data] = useLoad(async () => {
    const [c, profiles] = await Promise.all([get<Challenge>(`/challenges/${seg(challenge)}`), loadProfiles()])
    return { c, profiles }
  }, [challenge])
  if (data.state === 'loading') return <Loading what="challenge" />
  if (data.state === 'error') return <LoadError error={data.error} what="challenge" />
  const { c, profiles } = data.data
  const used = [...new Set(c.phases.map((p) => p.scoringProfile))]
  return (
    <section>
      <p class="crumbs">
        <a href="/">Challenges</a> /
      </p>
      <h1>{c.title}</h1>
      <p class="muted small">
        Organised by {c.owner}
        {canOrganise(me) && (
          <>
            {' · '}
            <a href={`/organise/challenges/${seg(c.slug)}`}>Edit</a>
          </>
        )}
      </p>
      {c.description ? (
        <div class="prose" dangerouslySetInnerHTML={{ __html: renderMarkdown(c.description) }} />
      ) : (
        <p class="muted">No description.</p>
      )}
      <h2>Phases</h2>
      {c.phases.length === 0 && <p>No phase yet.</p>}
      <div class="grid">
        {c.phases.map((p) => (
          <PhaseRules
            key={p.slug}
            challenge={c.slug}
            phase={p}
            metrics={profiles.find((x) => x.name === p.scoringProfile)?.metrics ?? []}
          />
        ))}
      </div>
      {used.map((name) => (
        <section key={name} aria-labelledby={`metrics-${name}`}>
          <h2 id={`metrics-${name}`}>Metrics (scoring profile {name})</h2>
          <Scroll label={`Metric definitions of profile ${name}`}>
            <table>
              <thead>
                <tr>
                  <th scope="col">Metric</th>
                  <th scope="col">Unit</th>
                  <th scope="col">Better</th>
                  <th scope="col">Meaning</th>
                </tr>
              </thead>
              <tbody>
                {(profiles.find((x) => x.name === name)?.metrics ?? []).map((m) => (
                  <tr key={m.key}>
                    <th scope="row">
                      {m.label} <code class="small">{m.key}</code>
                    </th>
                    <td>{unitText(m.unit)}</td>
                    <td>
                      {arrow(m.order)} {betterText(m.order)}
                    </td>
                    <td>{m.description}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Scroll>
        </section>
      ))}
    </section>
  )
}
