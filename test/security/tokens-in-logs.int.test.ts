/**
 * Finding 6: tokens in logs. The queue dashboard's `?token=` login put the admin's API token
 * in the request log, and its cookie then held that long-lived token itself. Now a form POST
 * exchanges the token for a short-lived signed session cookie naming the token's row, request
 * logs carry no query string, and tokens in dashboard URLs are refused.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { randomBytes } from 'node:crypto'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import { SessionSigner } from '../../apps/api/src/lib/dashboard-session.ts'
import { startHarness, type Harness } from '../../apps/api/src/testing/harness.ts'

const SESSION_SECRET = randomBytes(32).toString('base64url')

describe('no token or session secret in logs; dashboard sessions (finding 6)', () => {
  let h: Harness
  let admin: { id: string; token: string }
  let participant: string
  const lines: string[] = []
  const logs = () => lines.join('')

  const login = (token: string) =>
    fetch(`${h.url}/admin/queues/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }).toString(),
    })
  const dashboard = (cookie: string) => fetch(`${h.url}/admin/queues`, { headers: { cookie: `spider_admin=${cookie}` } })

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString())
        done()
      },
    })
    h = await startHarness(
      'postgres',
      { sessionSecret: SESSION_SECRET, dashboardSessionSeconds: 600 },
      { logger: pino({ level: 'trace' }, sink) },
    )
    admin = await h.user('logs-admin', 'admin')
    participant = (await h.user('logs-participant', 'participant')).token
  })
  afterAll(async () => {
    await h?.close()
  })

  it('logs in through the form: the cookie is a signed session, not the token, and no log line holds either', async () => {
    const form = await fetch(`${h.url}/admin/queues/login`)
    expect(form.status).toBe(200)
    const res = await login(admin.token)
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe('/admin/queues')
    const setCookie = res.headers.get('set-cookie') ?? ''
    expect(setCookie).toMatch(/; Path=\/admin\/queues; Max-Age=600; HttpOnly; SameSite=Strict$/)
    const session = /^spider_admin=([^;]+);/.exec(setCookie)?.[1] ?? ''
    expect(session).not.toBe('')
    expect(session).not.toContain(admin.token)
    expect(session).not.toContain('sbk_')
    expect(session).not.toContain(SESSION_SECRET)
    expect((await dashboard(session)).status).toBe(200)
    expect((await fetch(`${h.url}/admin/queues/api/queues`, { headers: { cookie: `spider_admin=${session}` } })).status).toBe(200)

    // Tokens that reach a URL anyway: refused by the dashboard, ignored elsewhere, never logged.
    const inUrl = await fetch(`${h.url}/admin/queues?token=${admin.token}`)
    expect(inUrl.status).toBe(400)
    expect(((await inUrl.json()) as { error: { message: string } }).error.message).toContain('log in at /admin/queues/login')
    expect((await fetch(`${h.url}/api/v1/challenges?token=${participant}&secret=${SESSION_SECRET}`)).status).toBe(200)
    // Bearer requests and a failed login are logged too.
    expect((await fetch(`${h.url}/api/v1/challenges`, { headers: { authorization: `Bearer ${participant}` } })).status).toBe(200)
    expect((await login(participant)).status).toBe(403)

    await new Promise((r) => setTimeout(r, 100))
    const text = logs()
    // The log did record these requests (the check below is not vacuous) ...
    expect(text).toContain('"url":"/admin/queues?[redacted]"')
    expect(text).toContain('"url":"/api/v1/challenges?[redacted]"')
    expect(text).toContain('"url":"/admin/queues/login"')
    // ... and holds no token, no session, no secret.
    for (const secret of [admin.token, participant, session, session.split('.').at(-1) as string, SESSION_SECRET])
      expect(text).not.toContain(secret)
    expect(text).not.toContain('sbk_')
  })

  it('refuses forged, expired and token-bearing cookies, and sessions whose token was revoked', async () => {
    const session = /^spider_admin=([^;]+);/.exec((await login(admin.token)).headers.get('set-cookie') ?? '')?.[1] ?? ''
    const [tokenId, expiry, mac] = session.split('.')
    // The old scheme's cookie (the API token itself) is no session.
    const raw = await dashboard(admin.token)
    expect(raw.status).toBe(401)
    expect(((await raw.json()) as { error: { code: string } }).error.code).toBe('unauthorized')
    // A later expiry under the same MAC, or a MAC made with another key: forged.
    expect((await dashboard(`${tokenId}.${Number(expiry) + 3600}.${mac}`)).status).toBe(401)
    expect((await dashboard(new SessionSigner(randomBytes(32).toString('base64url'), 600).issue(tokenId))).status).toBe(401)
    // Signed with the right key but past its expiry.
    const expired = new SessionSigner(SESSION_SECRET, 600, () => Date.now() - 3_600_000).issue(tokenId)
    const late = await dashboard(expired)
    expect(late.status).toBe(401)
    expect(((await late.json()) as { error: { message: string } }).error.message).toMatch(
      /^your dashboard session has expired: log in at \/admin\/queues\/login/,
    )
    // Revoking the API token ends its sessions.
    expect((await dashboard(session)).status).toBe(200)
    await h.db.prisma.apiToken.update({ where: { id: tokenId }, data: { revokedAt: new Date() } })
    expect((await dashboard(session)).status).toBe(401)
  })
})
