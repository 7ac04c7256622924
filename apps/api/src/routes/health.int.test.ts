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
