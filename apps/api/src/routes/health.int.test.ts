import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { startHarness, type Backend, type Harness } from '../testing/harness.ts'

for (const backend of ['postgres', 'pglite'] as Backend[]) {
  describe(`health and docs (${backend})`, () => {
    let h: Harness
    beforeAll(async () => {
      h = await startHarness(backend)
    })
    afterAll(async () => {
      await h?.close()
    })

    it('answers /healthz and /readyz', async () => {
      expect(await (await fetch(`${h.url}/healthz`)).json()).toEqual({ status: 'ok' })
      const ready = await fetch(`${h.url}/readyz`)
      expect(ready.status).toBe(200)
      expect(await ready.json()).toEqual({ status: 'ready', checks: { database: 'ok', redis: 'ok' } })
    })

    it('serves the OpenAPI document and UI', async () => {
      const doc = (await (await fetch(`${h.url}/docs/json`)).json()) as { openapi: string; paths: Record<string, unknown> }
      expect(doc.openapi).toMatch(/^3\./)
      expect(Object.keys(doc.paths)).toContain('/readyz')
      expect((await fetch(`${h.url}/docs`, { redirect: 'follow' })).status).toBe(200)
    })

    it('answers unknown routes with a JSON 404', async () => {
      const res = await fetch(`${h.url}/nope`)
      expect(res.status).toBe(404)
      expect(await res.json()).toEqual({ error: { code: 'not_found', message: 'no route GET /nope' } })
    })
  })
}

describe('readiness without Redis', () => {
  let h: Harness
  beforeAll(async () => {
    // Port 1 on loopback: nothing listens, connections are refused at once.
    h = await startHarness('pglite', { redisUrl: 'redis://127.0.0.1:1' })
  })
  afterAll(async () => {
    await h?.close()
  })

  it('stays alive (/healthz 200) but not ready (/readyz 503 naming Redis)', async () => {
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200)
    const res = await fetch(`${h.url}/readyz`)
    expect(res.status).toBe(503)
    const body = (await res.json()) as { status: string; checks: { database: string; redis: string } }
    expect(body.status).toBe('not ready')
    expect(body.checks.database).toBe('ok')
    expect(body.checks.redis).toMatch(/^error: /)
  })
})
