import { get, seg, type Challenge } from '../api.ts'
import { LoadError, Loading, useLoad } from '../components/ui.tsx'
import { phaseWindow } from '../format.ts'

/** `/`: every challenge with its phases. */
export function ChallengesPage() {
  const [challenges] = useLoad(() => get<Challenge[]>('/challenges'), [])
  return (
    <section>
      <h1>Challenges</h1>
      <p class="lead">
        Lumbar spine MRI segmentation benchmarks with sequestered test sets. Pick a challenge to read its rules, or a phase to see its
        leaderboard.
      </p>
      {challenges.state === 'loading' && <Loading what="challenges" />}
      {challenges.state === 'error' && <LoadError error={challenges.error} what="challenges" />}
      {challenges.state === 'ok' &&
        (challenges.data.length === 0 ? (
          <p>No challenge yet.</p>
        ) : (
          <ul class="cards">
            {challenges.data.map((c) => (
              <li key={c.slug} class="card">
                <h2>
                  <a href={`/challenges/${seg(c.slug)}`}>{c.title}</a>
                </h2>
                <p class="muted small">by {c.owner}</p>
                {c.phases.length > 0 ? (
                  <ul class="phases">
                    {c.phases.map((p) => (
                      <li key={p.slug}>
                        <a href={`/challenges/${seg(c.slug)}/phases/${seg(p.slug)}`}>{p.title}</a>{' '}
                        <span class="muted small">({phaseWindow(p.opensAt, p.closesAt).text})</span>
                      </li>
                    ))}
                  </ul>
                ) : (
                  <p class="muted small">No phase yet.</p>
                )}
              </li>
            ))}
          </ul>
        ))}
    </section>
  )
}
