import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startHarness, type Harness } from '../../../testing/harness.ts'

/** The cookie value from a Set-Cookie header, and its attributes. */
function parseSetCookie(header: string | null): { value: string; attrs: string[] } {
  const [pair, ...attrs] = (header ?? '').split(';').map((s) => s.trim())
  return { value: pair.slice(pair.indexOf('=') + 1), attrs }
}

describe('web sessions: token exchange, cookie authentication, CSRF and the failed-authentication limit (postgres)', () => {
  let h: Harness
  let admin: { id: string; token: string }
  let alice: { id: string; token: string }
  let own: string

  const post = (path: string, init: { cookie?: string; origin?: string; bearer?: string; body?: unknown; method?: string } = {}) =>
    fetch(`${h.url}${path}`, {
      method: init.method ?? 'POST',
      headers: {
        ...(init.cookie ? { cookie: `spider_session=${init.cookie}` } : {}),
        ...(init.origin ? { origin: init.origin } : {}),
        ...(init.bearer ? { authorization: `Bearer ${init.bearer}` } : {}),
        ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    })
  const signIn = async (token: string) => {
    const res = await post('/api/v1/session', { body: { token }, origin: own })
    expect(res.status).toBe(200)
    return parseSetCookie(res.headers.get('set-cookie'))
  }

  beforeAll(async () => {
    h = await startHarness('postgres', { authFailureLimit: 3, authFailureWindowSeconds: 60 })
    own = h.url
    admin = await h.user('root', 'admin')
    alice = await h.user('alice', 'organiser')
  })
  afterAll(async () => {
    await h?.close()
  })

  it('exchanges a token for an HttpOnly, SameSite=Strict cookie that holds no token and authenticates reads', async () => {
    const res = await post('/api/v1/session', { body: { token: alice.token }, origin: own })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ user: { id: alice.id, name: 'alice', role: 'organiser' } })
    const cookie = parseSetCookie(res.headers.get('set-cookie'))
    expect(cookie.attrs).toEqual(expect.arrayContaining(['Path=/', 'HttpOnly', 'SameSite=Strict', 'Max-Age=28800']))
    expect(cookie.value).not.toContain(alice.token)
    expect(cookie.value).not.toContain(alice.token.slice(4, 20))
    const me = await fetch(`${h.url}/api/v1/me`, { headers: { cookie: `spider_session=${cookie.value}` } })
    expect(me.status).toBe(200)
    expect(await me.json()).toMatchObject({ name: 'alice' })
  })

  it('refuses cookie-authenticated changes from other origins or with no Origin (403, no change), accepts its own pages', async () => {
    const { value } = await signIn(alice.token)
    const body = (slug: string) => ({ slug, title: 'x' })
    for (const origin of ['http://evil.example', 'null', `${own}.evil.example`, undefined]) {
      const res = await post('/api/v1/challenges', { cookie: value, body: body('csrf'), ...(origin ? { origin } : {}) })
      expect(res.status, String(origin)).toBe(403)
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/^cross-site request refused/)
    }
    expect(await h.db.prisma.challenge.count()).toBe(0)
    // Uploads and deletions too: every method that changes something.
    expect((await post('/api/v1/session', { cookie: value, method: 'DELETE', origin: 'http://evil.example' })).status).toBe(403)
    expect((await post('/api/v1/challenges', { cookie: value, body: body('mine'), origin: own })).status).toBe(201)
    // Bearer-token clients are not browsers: no Origin needed, none checked.
    expect((await post('/api/v1/challenges', { bearer: alice.token, body: body('cli') })).status).toBe(201)
    // Another site may not sign its visitors in (login CSRF).
    expect((await post('/api/v1/session', { body: { token: alice.token }, origin: 'http://evil.example' })).status).toBe(403)
  })

  it('ends the session when its token is revoked, and on sign-out', async () => {
    const { value } = await signIn(alice.token)
    const other = await signIn(admin.token)
    const tokenId = (await h.db.prisma.apiToken.findFirstOrThrow({ where: { userId: alice.id } })).id
    expect((await post(`/api/v1/tokens/${tokenId}`, { bearer: admin.token, method: 'DELETE' })).status).toBe(200)
    const me = await fetch(`${h.url}/api/v1/me`, { headers: { cookie: `spider_session=${value}` } })
    expect(me.status).toBe(401)
    expect(parseSetCookie(me.headers.get('set-cookie')).attrs).toContain('Max-Age=0')
    const out = await post('/api/v1/session', { cookie: other.value, method: 'DELETE', origin: own })
    expect(out.status).toBe(204)
    expect(parseSetCookie(out.headers.get('set-cookie'))).toMatchObject({ value: '' })
  })

  it('counts forged cookies and dashboard cookies as failed authentications; valid tokens still work when blocked', async () => {
    // A dashboard session value of the admin, replayed as a web session: another purpose, another MAC.
    const login = await fetch(`${h.url}/admin/queues/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${admin.token}`,
      redirect: 'manual',
    })
    expect(login.status).toBe(303)
    const dashboard = parseSetCookie(login.headers.get('set-cookie')).value
    const web = (await signIn(admin.token)).value
    const forged = web.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'))
    for (const value of [dashboard, forged, `${web.split('.')[0]}.9999999999.${web.split('.')[2]}`]) {
      const res = await fetch(`${h.url}/api/v1/me`, { headers: { cookie: `spider_session=${value}` } })
      expect(res.status).toBe(401)
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/cookie is not a valid session/)
    }
    const blocked = await fetch(`${h.url}/api/v1/me`, { headers: { cookie: `spider_session=${forged}` } })
    expect(blocked.status).toBe(429)
    // A bad token at /session is refused as blocked too; the admin's valid cookie and token still work.
    expect((await post('/api/v1/session', { body: { token: 'sbk_' + 'A'.repeat(43) }, origin: own })).status).toBe(429)
    expect((await fetch(`${h.url}/api/v1/me`, { headers: { cookie: `spider_session=${web}` } })).status).toBe(200)
    expect((await fetch(`${h.url}/api/v1/me`, { headers: { authorization: `Bearer ${admin.token}` } })).status).toBe(200)
  })
})

describe('web pages: served with their CSP, or a page saying how to build them (pglite)', () => {
  let built: Harness
  let missing: Harness
  let dist: string
  beforeAll(async () => {
    dist = await mkdtemp(join(tmpdir(), 'spider-web-'))
    await mkdir(join(dist, 'assets'), { recursive: true })
    await writeFile(join(dist, 'index.html'), '<!doctype html><title>pages</title><script type="module" src="/assets/app-1.js"></script>')
    await writeFile(join(dist, 'assets', 'app-1.js'), 'console.log(1)')
    built = await startHarness('pglite', {}, { webDistDir: dist })
    missing = await startHarness('pglite', {}, { webDistDir: join(dist, 'nothing-here') })
  })
  afterAll(async () => {
    await built?.close()
    await missing?.close()
    await rm(dist, { recursive: true, force: true })
  })

  it('answers every page path with index.html and assets with long caching, all under the CSP', async () => {
    for (const path of ['/', '/challenges/spine/phases/final', '/submissions/x', '/organise/challenges/a', '/signin', '/account']) {
      const res = await fetch(`${built.url}${path}`)
      expect(res.status, path).toBe(200)
      expect(await res.text()).toContain('<title>pages</title>')
      expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self';/)
    }
    const asset = await fetch(`${built.url}/assets/app-1.js`)
    expect(asset.status).toBe(200)
    expect(asset.headers.get('cache-control')).toMatch(/immutable/)
    expect(asset.headers.get('content-security-policy')).not.toBeNull()
    expect((await fetch(`${built.url}/assets/nope.js`)).status).toBe(404)
    expect((await fetch(`${built.url}/assets/../index.html`)).status).not.toBe(500)
  })

  it('starts without built pages: the API works and / says how to build them', async () => {
    const res = await fetch(`${missing.url}/`)
    expect(res.status).toBe(503)
    expect(await res.text()).toContain('npm run build:web')
    expect((await fetch(`${missing.url}/api/v1/challenges`)).status).toBe(200)
  })
})
