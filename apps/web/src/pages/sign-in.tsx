import { useState } from 'preact/hooks'
import { api, ApiProblem, type Me } from '../api.ts'
import { asProblem, Loading, Problems } from '../components/ui.tsx'
import { navigate } from '../router.ts'
import { useSession } from '../session.ts'

/** `/signin`: paste an API token; the server answers with an HttpOnly session cookie. */
export function SignInPage() {
  const { me, refresh } = useSession()
  const [token, setToken] = useState('')
  const [error, setError] = useState<ApiProblem | null>(null)
  const [busy, setBusy] = useState(false)
  if (me) {
    return (
      <section>
        <h1>Signed in</h1>
        <p>
          You are signed in as <strong>{me.name}</strong>. <a href="/account">Your submissions</a>
        </p>
      </section>
    )
  }
  return (
    <section class="narrow">
      <h1>Sign in</h1>
      <p>
        Paste your API token (the <code>sbk_…</code> token an admin gave you, the one the <code>spider-bench</code> command uses). The page
        exchanges it for a session cookie that scripts cannot read, and forgets the token.
      </p>
      <form
        onSubmit={(e) =>
          void (async () => {
            e.preventDefault()
            setBusy(true)
            setError(null)
            try {
              await api<{ user: Me }>('POST', '/session', { token: token.trim() })
              setToken('')
              await refresh()
              const next = new URLSearchParams(window.location.search).get('next')
              navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : '/account')
            } catch (err) {
              setError(asProblem(err))
            } finally {
              setBusy(false)
            }
          })()
        }
      >
        <label for="token">API token</label>
        <input
          id="token"
          name="token"
          type="password"
          autocomplete="off"
          required
          value={token}
          onInput={(e) => setToken((e.currentTarget as HTMLInputElement).value)}
          aria-describedby={error ? 'signin-error' : undefined}
        />
        <p>
          <button type="submit" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </p>
      </form>
      {error && (
        <div id="signin-error">
          <Problems
            error={error}
            title={error.status === 401 ? 'That token was not accepted: check it and paste it again.' : error.body.message}
          />
        </div>
      )}
    </section>
  )
}

/** Shown where a page needs a signed-in user. */
export function SignInFirst({ what }: { what: string }) {
  const { me } = useSession()
  if (me === undefined) return <Loading what="your session" />
  return (
    <section>
      <h1>Sign in</h1>
      <p>
        <a href={`/signin?next=${encodeURIComponent(window.location.pathname + window.location.search)}`}>Sign in</a> to {what}.
      </p>
    </section>
  )
}
