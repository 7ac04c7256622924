import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { startHarness, type Harness } from '../testing/harness.ts'
import { quantile } from './external/metrics.ts'
import { readCookie } from './app/admin-queues.ts'

describe('operations endpoints', () => {
  let h: Harness
  let admin: string
  let organiser: string
  beforeAll(async () => {
    h = await startHarness('pglite')
    admin = (await h.user('ops-admin', 'admin')).token
    organiser = (await h.user('ops-organiser', 'organiser')).token
  })
  afterAll(async () => {
    await h?.close()
  })

  it('exposes Prometheus metrics: HTTP latency, queue depth, evaluations', async () => {
    await fetch(`${h.url}/healthz`)
    await h.app.evaluationQueue.add('evaluation', { evaluationId: 'metrics-test' }, { jobId: 'metrics-test' })
    const res = await fetch(`${h.url}/metrics`, { headers: { authorization: `Bearer ${admin}` } })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/)
    const text = await res.text()
    expect(text).toMatch(/spider_http_request_duration_seconds_count\{method="GET",route="\/healthz",status_code="200"\} 1/)
    expect(text).toContain(`spider_queue_jobs{queue="${h.config.queuePrefix}-spider-evaluation",state="waiting"} 1`)
    expect(text).toContain('# TYPE spider_evaluations gauge')
    expect(text).toContain('spider_process_cpu_seconds_total')
  })

  it('serves the queue dashboard to admins only', async () => {
    expect((await fetch(`${h.url}/admin/queues`)).status).toBe(401)
    const asOrganiser = await fetch(`${h.url}/admin/queues`, { headers: { authorization: `Bearer ${organiser}` } })
    expect(asOrganiser.status).toBe(403)
    const asAdmin = await fetch(`${h.url}/admin/queues`, { headers: { authorization: `Bearer ${admin}` } })
    expect(asAdmin.status).toBe(200)
    expect(await asAdmin.text()).toMatch(/<html/i)
    const api = await fetch(`${h.url}/admin/queues/api/queues`, { headers: { authorization: `Bearer ${admin}` } })
    expect(api.status).toBe(200)
    const body = (await api.json()) as { queues: Array<{ name: string }> }
    expect(body.queues.map((q) => q.name)).toContain(`${h.config.queuePrefix}-spider-evaluation`)
  })

  const login = (token: string) =>
    fetch(`${h.url}/admin/queues/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }).toString(),
    })

  it('lets a browser log in to the dashboard with a form (session cookie), and refuses a non-admin token', async () => {
    const form = await fetch(`${h.url}/admin/queues/login`)
    expect(form.status).toBe(200)
    expect(await form.text()).toMatch(/<form method="post" action="\/admin\/queues\/login">/)
    expect((await login(organiser)).status).toBe(403)
    const ok = await login(admin)
    expect(ok.status).toBe(303)
    expect(ok.headers.get('location')).toBe('/admin/queues')
    const cookie = ok.headers.get('set-cookie') ?? ''
    expect(cookie).toMatch(/^spider_admin=[^;]+; Path=\/admin\/queues; Max-Age=3600; HttpOnly; SameSite=Strict$/)
    const page = await fetch(`${h.url}/admin/queues`, { headers: { cookie: cookie.split(';')[0] } })
    expect(page.status).toBe(200)
    // A token in the URL is refused without being looked up (and in the API's error shape).
    const inUrl = await fetch(`${h.url}/admin/queues?token=${admin}`, { redirect: 'manual' })
    expect(inUrl.status).toBe(400)
    expect(((await inUrl.json()) as { error: { code: string } }).error.code).toBe('bad_request')
  })

  it('counts bad dashboard tokens as failed authentications (429 after the limit); a valid one still logs in', async () => {
    const guesses = []
    for (let i = 0; i < h.config.authFailureLimit + 1; i++) guesses.push((await login(`sbk_${'x'.repeat(43)}`)).status)
    expect(guesses.slice(0, h.config.authFailureLimit).every((s) => s === 401)).toBe(true)
    expect(guesses.at(-1)).toBe(429)
    // The address is blocked for failures only: the admin's own token still logs in.
    expect((await login(admin)).status).toBe(303)
  })
})

describe('metrics helpers', () => {
  it('interpolates quantiles like numpy', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5)
    expect(quantile([0, 10], 0.9)).toBe(9)
    expect(quantile([5], 0.99)).toBe(5)
  })
  it('reads one cookie', () => {
    expect(readCookie('a=1; spider_admin=x%2By; b=2', 'spider_admin')).toBe('x+y')
    expect(readCookie(undefined, 'spider_admin')).toBeNull()
  })
})
