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
    const res = await fetch(`${h.url}/metrics`)
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

  it('lets a browser log in to the dashboard with ?token= (cookie), and refuses a non-admin token', async () => {
    const bad = await fetch(`${h.url}/admin/queues?token=${organiser}`, { redirect: 'manual' })
    expect(bad.status).toBe(401)
    const login = await fetch(`${h.url}/admin/queues?token=${admin}`, { redirect: 'manual' })
    expect(login.status).toBe(302)
    const cookie = login.headers.get('set-cookie') ?? ''
    expect(cookie).toMatch(/HttpOnly/)
    const page = await fetch(`${h.url}/admin/queues`, { headers: { cookie: cookie.split(';')[0] } })
    expect(page.status).toBe(200)
  })

  it('counts bad dashboard tokens as failed authentications (429 after the limit)', async () => {
    const guesses = []
    for (let i = 0; i < h.config.authFailureLimit + 1; i++) {
      guesses.push((await fetch(`${h.url}/admin/queues?token=sbk_${'x'.repeat(43)}`, { redirect: 'manual' })).status)
    }
    expect(guesses.slice(0, h.config.authFailureLimit).every((s) => s === 401)).toBe(true)
    expect(guesses.at(-1)).toBe(429)
    // Even a valid cookie waits out the block: the address is blocked, not the token.
    expect((await fetch(`${h.url}/admin/queues`, { headers: { cookie: `spider_admin=${admin}` } })).status).toBe(429)
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
