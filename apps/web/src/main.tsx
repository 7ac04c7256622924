import { render } from 'preact'
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks'
import { api, type Me } from './api.ts'
import { match, onLinkClick, useLocation } from './router.ts'
import { canOrganise, SessionContext, type Session } from './session.ts'
import { ChallengesPage } from './pages/challenges.tsx'
import { ChallengePage } from './pages/challenge.tsx'
import { LeaderboardPage } from './pages/leaderboard.tsx'
import { SignInPage } from './pages/sign-in.tsx'
import { SubmitPage } from './pages/submit.tsx'
import { SubmissionPage } from './pages/submission.tsx'
import { AccountPage } from './pages/account.tsx'
import { OrganiseHome, OrganiseChallenge, OrganisePhase } from './pages/organise.tsx'
import { NotFound } from './components/ui.tsx'
import './styles.css'

function Page({ path }: { path: string }) {
  let m: Record<string, string> | null
  if (path === '/' || path === '') return <ChallengesPage />
  if (path === '/signin') return <SignInPage />
  if (path === '/account') return <AccountPage />
  if (path === '/organise') return <OrganiseHome />
  if ((m = match('/organise/challenges/:challenge', path))) return <OrganiseChallenge challenge={m.challenge} />
  if ((m = match('/organise/challenges/:challenge/phases/:phase', path))) return <OrganisePhase challenge={m.challenge} phase={m.phase} />
  if ((m = match('/challenges/:challenge', path))) return <ChallengePage challenge={m.challenge} />
  if ((m = match('/challenges/:challenge/phases/:phase', path))) return <LeaderboardPage challenge={m.challenge} phase={m.phase} />
  if ((m = match('/challenges/:challenge/phases/:phase/submit', path))) return <SubmitPage challenge={m.challenge} phase={m.phase} />
  if ((m = match('/submissions/:id', path))) return <SubmissionPage id={m.id} />
  return <NotFound what="page" />
}

function App() {
  const loc = useLocation()
  const [me, setMe] = useState<Me | null | undefined>(undefined)
  const refresh = useCallback(async () => {
    try {
      setMe((await api<{ user: Me | null }>('GET', '/session')).user)
    } catch {
      // A refused or stale cookie (the API clears it) or an unreachable server: signed out.
      setMe(null)
    }
  }, [])
  const signOut = useCallback(async () => {
    await api('DELETE', '/session').catch(() => undefined)
    setMe(null)
  }, [])
  useEffect(() => void refresh(), [refresh])
  const session = useMemo<Session>(() => ({ me, refresh, signOut }), [me, refresh, signOut])
  // Pages load their data at once, alongside the session; those that need to know who is signed in
  // wait for its answer (me === undefined meanwhile).
  return (
    <SessionContext.Provider value={session}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <nav aria-label="Main">
          <a class="brand" href="/">
            spider-bench
          </a>
          <a href="/" aria-current={loc.path === '/' ? 'page' : undefined}>
            Challenges
          </a>
          {me && (
            <a href="/account" aria-current={loc.path === '/account' ? 'page' : undefined}>
              My submissions
            </a>
          )}
          {canOrganise(me) && (
            <a href="/organise" aria-current={loc.path.startsWith('/organise') ? 'page' : undefined}>
              Organise
            </a>
          )}
          <span class="spacer" />
          {me === undefined ? null : me ? (
            <span class="who">
              <span>
                Signed in as <strong>{me.name}</strong> ({me.role})
              </span>
              <button type="button" class="link" onClick={() => void signOut()}>
                Sign out
              </button>
            </span>
          ) : (
            <a href="/signin" aria-current={loc.path === '/signin' ? 'page' : undefined}>
              Sign in
            </a>
          )}
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        <Page key={loc.path} path={loc.path} />
      </main>
      <footer class="foot">
        <span>
          spider-bench · <a href="/docs">REST API documentation</a>
        </span>
      </footer>
    </SessionContext.Provider>
  )
}

document.addEventListener('click', onLinkClick)
render(<App />, document.getElementById('app') as HTMLElement)
