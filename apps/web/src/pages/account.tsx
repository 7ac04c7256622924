import { get, seg, type Challenge, type Submission } from '../api.ts'
import { LoadError, Loading, Scroll, StatusBadge, useLoad } from '../components/ui.tsx'
import { fmtDate, fmtNumber } from '../format.ts'
import { loadProfiles } from '../metrics.ts'
import { useSession } from '../session.ts'
import { SignInFirst } from './sign-in.tsx'

/** `/account`: the signed-in participant's submissions in every phase, with status and scores. */
export function AccountPage() {
  const { me } = useSession()
  const [data] = useLoad(async () => {
    if (!me) return []
    const [challenges, profiles] = await Promise.all([get<Challenge[]>('/challenges'), loadProfiles()])
    const phases = challenges.flatMap((c) => c.phases.map((p) => ({ c, p })))
    const lists = await Promise.all(
      phases.map(({ c, p }) => get<Submission[]>(`/challenges/${seg(c.slug)}/phases/${seg(p.slug)}/submissions?mine=1`)),
    )
    return phases
      .map(({ c, p }, i) => ({ c, p, subs: lists[i], defs: profiles.find((x) => x.name === p.scoringProfile)?.metrics ?? [] }))
      .filter((x) => x.subs.length > 0)
  }, [me?.id])
  if (!me) return <SignInFirst what="see your submissions" />
  if (data.state === 'loading') return <Loading what="your submissions" />
  if (data.state === 'error') return <LoadError error={data.error} what="submissions" />
  return (
    <section>
      <h1>My submissions</h1>
      {data.data.length === 0 && (
        <p>
          You have not submitted yet. Pick a phase from the <a href="/">challenges</a> and submit.
        </p>
      )}
      {data.data.map(({ c, p, subs, defs }) => {
        const primary = p.ranking.metrics[0]?.key
        const label = defs.find((d) => d.key === primary)?.label ?? primary
        return (
          <section key={`${c.slug}/${p.slug}`} id={`${c.slug}-${p.slug}`} aria-labelledby={`h-${c.slug}-${p.slug}`}>
            <h2 id={`h-${c.slug}-${p.slug}`}>
              <a href={`/challenges/${seg(c.slug)}`}>{c.title}</a> ·{' '}
              <a href={`/challenges/${seg(c.slug)}/phases/${seg(p.slug)}`}>{p.title}</a>
            </h2>
            <Scroll label={`My submissions to ${c.title}, ${p.title}`}>
              <table data-testid="my-submissions">
                <thead>
                  <tr>
                    <th scope="col">Submitted</th>
                    <th scope="col">Kind</th>
                    <th scope="col">Status</th>
                    <th scope="col">{label ?? 'Score'}</th>
                    <th scope="col">Details</th>
                  </tr>
                </thead>
                <tbody>
                  {subs.map((s) => (
                    <tr key={s.id}>
                      <td class="nowrap">{fmtDate(s.createdAt)}</td>
                      <td>{s.kind}</td>
                      <td>
                        <StatusBadge status={s.status} />
                        {s.error ? <span class="small"> {s.error}</span> : null}
                      </td>
                      <td class="num">{primary ? fmtNumber(s.aggregates?.[primary]?.mean ?? null) : '–'}</td>
                      <td>
                        <a href={`/submissions/${seg(s.id)}`}>{s.id.slice(0, 8)}</a>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </Scroll>
          </section>
        )
      })}
    </section>
  )
}
