/**
 * Finding 8: `/metrics` was public and showed per-route status counts of other users'
 * activity. Now it needs an admin API token or METRICS_TOKEN, both as Bearer tokens.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { randomBytes } from 'node:crypto'
import { startHarness, type Harness } from '../../apps/api/src/testing/harness.ts'

const METRICS_TOKEN = randomBytes(24).toString('base64url')

const scrape = (h: Harness, token?: string) =>
  fetch(`${h.url}/metrics`, { headers: token !== undefined ? { authorization: `Bearer ${token}` } : {} })

describe('/metrics is not public (finding 8)', () => {
  let h: Harness
  let admin: string
  let organiser: string
  let participant: string
  beforeAll(async () => {
    h = await startHarness('postgres', { metricsToken: METRICS_TOKEN, authFailureLimit: 3 })
    admin = (await h.user('metrics-admin', 'admin')).token
    organiser = (await h.user('metrics-organiser', 'organiser')).token
    participant = (await h.user('metrics-participant', 'participant')).token
  })
  afterAll(async () => {
    await h?.close()
  })

  it('refuses anonymous callers (401) and non-admins (403) in the API error shape, without a single metric', async () => {
    await fetch(`${h.url}/healthz`)
    const anonymous = await scrape(h)
    expect(anonymous.status).toBe(401)
    const body = await anonymous.text()
    expect(JSON.parse(body)).toEqual({
      error: { code: 'unauthorized', message: '/metrics needs "Authorization: Bearer <token>" with an admin API token or METRICS_TOKEN' },
    })
    expect(body).not.toContain('spider_')
    for (const token of [organiser, participant]) {
      const res = await scrape(h, token)
      expect(res.status).toBe(403)
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('forbidden')
    }
  })

  it('serves admins and the METRICS_TOKEN scraper', async () => {
    for (const token of [admin, METRICS_TOKEN]) {
      const res = await scrape(h, token)
      expect(res.status).toBe(200)
      expect(await res.text()).toMatch(/spider_http_request_duration_seconds_count\{method="GET",route="\/healthz",status_code="200"\}/)
    }
  })

  it('accepts METRICS_TOKEN on /metrics only, and counts wrong scraper tokens as failed authentications', async () => {
    // Elsewhere it is no API token.
    expect((await fetch(`${h.url}/api/v1/challenges`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).status).toBe(401)
    const wrong = []
    for (let i = 0; i < 3; i++) wrong.push((await scrape(h, `${METRICS_TOKEN}x`)).status)
    expect(wrong).toEqual([401, 401, 429])
    // Only failures are refused: the right secret still works from the blocked address.
    expect((await scrape(h, METRICS_TOKEN)).status).toBe(200)
  })
})
