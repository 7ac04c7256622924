import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { startHarness, type Backend, type Harness } from '../testing/harness.ts'
import { apiClient, PHASE_BODY } from '../testing/client.ts'
import { mhaBytes } from '../testing/images.ts'
import { issueToken } from '@spider-bench/evaluation'

const ROLES = ['admin', 'owner', 'otherOrganiser', 'participant', 'otherParticipant', 'anonymous'] as const
type Role = (typeof ROLES)[number]

interface Case {
  readonly method: string
  /** OpenAPI-style path, for the completeness check. */
  readonly route: string
  /** Expected status per role. */
  readonly expect: Record<Role, number>
  /** Sends the request for a role (fresh resources where a success changes state). */
  send(role: Role): Promise<Response>
}

const all = (status: number): Record<Role, number> => Object.fromEntries(ROLES.map((r) => [r, status])) as Record<Role, number>

for (const backend of ['postgres', 'pglite'] as Backend[]) {
  describe(`authorisation matrix: every route x role (${backend})`, () => {
    let h: Harness
    let api: ReturnType<typeof apiClient>
    const tokens: Partial<Record<Role, string>> = {}
    let submissionId = ''
    let participantId = ''
    let image: Buffer
    let mask: Buffer
    const ph = '/api/v1/challenges/spine/phases'

    const tok = (role: Role) => tokens[role]
    const testSet = () =>
      api.archive([
        { name: 'images/1_t1.mha', data: image },
        { name: 'masks/1_t1.mha', data: mask },
      ])
    const predictions = () => api.archive([{ name: '1_t1.mha', data: mask }])

    beforeAll(async () => {
      h = await startHarness(backend)
      api = apiClient(h.url, h.dataDir)
      tokens.admin = (await h.user('root', 'admin')).token
      tokens.owner = (await h.user('owner', 'organiser')).token
      tokens.otherOrganiser = (await h.user('rival', 'organiser')).token
      const alice = await h.user('alice', 'participant')
      tokens.participant = alice.token
      participantId = alice.id
      tokens.otherParticipant = (await h.user('bob', 'participant')).token
      image = await mhaBytes('image')
      mask = await mhaBytes('mask')
      expect((await api.json(tok('owner'), 'POST', '/api/v1/challenges', { slug: 'spine', title: 'Spine' })).status).toBe(201)
      for (const slug of ['final', 'open']) {
        expect((await api.json(tok('owner'), 'POST', ph, { ...PHASE_BODY, slug, submissionLimit: null })).status).toBe(201)
        expect((await api.multipart(tok('owner'), 'PUT', `${ph}/${slug}/test-set`, { archive: await testSet() })).status).toBe(200)
      }
      const res = await api.multipart(tok('participant'), 'POST', `${ph}/final/submissions`, {
        kind: 'predictions',
        predictions: await predictions(),
      })
      expect(res.status).toBe(202)
      submissionId = ((await res.json()) as { id: string }).id
    })
    afterAll(async () => {
      await h?.close()
    })

    let n = 0
    const cases = (): Case[] => [
      { method: 'GET', route: '/healthz', expect: all(200), send: (r) => api.json(tok(r), 'GET', '/healthz') },
      { method: 'GET', route: '/readyz', expect: all(200), send: (r) => api.json(tok(r), 'GET', '/readyz') },
      // Operational routes outside the OpenAPI document: Prometheus metrics and the queue dashboard, both admin-only.
      {
        method: 'GET',
        route: '/metrics',
        expect: { admin: 200, owner: 403, otherOrganiser: 403, participant: 403, otherParticipant: 403, anonymous: 401 },
        send: (r) => api.json(tok(r), 'GET', '/metrics'),
      },
      {
        method: 'GET',
        route: '/admin/queues',
        expect: { admin: 200, owner: 403, otherOrganiser: 403, participant: 403, otherParticipant: 403, anonymous: 401 },
        send: (r) => api.json(tok(r), 'GET', '/admin/queues'),
      },
      { method: 'GET', route: '/api/v1/challenges', expect: all(200), send: (r) => api.json(tok(r), 'GET', '/api/v1/challenges') },
      {
        method: 'GET',
        route: '/api/v1/schemas/algorithm-config',
        expect: all(200),
        send: (r) => api.json(tok(r), 'GET', '/api/v1/schemas/algorithm-config'),
      },
      {
        method: 'GET',
        route: '/api/v1/challenges/{challenge}',
        expect: all(200),
        send: (r) => api.json(tok(r), 'GET', '/api/v1/challenges/spine'),
      },
      {
        method: 'POST',
        route: '/api/v1/challenges',
        expect: { admin: 201, owner: 201, otherOrganiser: 201, participant: 403, otherParticipant: 403, anonymous: 401 },
        send: (r) => api.json(tok(r), 'POST', '/api/v1/challenges', { slug: `c-${r.toLowerCase()}-${n++}`, title: 'x' }),
      },
      {
        method: 'POST',
        route: '/api/v1/challenges/{challenge}/phases',
        expect: { admin: 201, owner: 201, otherOrganiser: 403, participant: 403, otherParticipant: 403, anonymous: 401 },
        send: (r) => api.json(tok(r), 'POST', ph, { ...PHASE_BODY, slug: `p-${r.toLowerCase()}-${n++}` }),
      },
      {
        method: 'PATCH',
        route: '/api/v1/challenges/{challenge}/phases/{phase}',
        expect: { admin: 200, owner: 200, otherOrganiser: 403, participant: 403, otherParticipant: 403, anonymous: 401 },
        send: (r) => api.json(tok(r), 'PATCH', `${ph}/final`, { title: `Final ${r}` }),
      },
      {
        method: 'PUT',
        route: '/api/v1/challenges/{challenge}/phases/{phase}/test-set',
        expect: { admin: 200, owner: 200, otherOrganiser: 403, participant: 403, otherParticipant: 403, anonymous: 401 },
        send: async (r) => api.multipart(tok(r), 'PUT', `${ph}/open/test-set`, { archive: await testSet() }),
      },
      {
        method: 'PUT',
        route: '/api/v1/challenges/{challenge}/phases/{phase}/sanity-set',
        expect: { admin: 200, owner: 200, otherOrganiser: 403, participant: 403, otherParticipant: 403, anonymous: 401 },
        send: async (r) => api.multipart(tok(r), 'PUT', `${ph}/open/sanity-set`, { archive: await testSet() }),
      },
      {
        method: 'POST',
        route: '/api/v1/challenges/{challenge}/phases/{phase}/submissions',
        expect: { admin: 202, owner: 403, otherOrganiser: 403, participant: 202, otherParticipant: 202, anonymous: 401 },
        send: async (r) =>
          api.multipart(tok(r), 'POST', `${ph}/open/submissions`, { kind: 'predictions', predictions: await predictions() }),
      },
      // Direct uploads: this server's file store takes none (501 once the caller may upload at all).
      ...(['test-set', 'sanity-set'] as const).map((set) => ({
        method: 'POST',
        route: `/api/v1/challenges/{challenge}/phases/{phase}/${set}/uploads`,
        expect: { admin: 501, owner: 501, otherOrganiser: 403, participant: 403, otherParticipant: 403, anonymous: 401 },
        send: (r: Role) => api.json(tok(r), 'POST', `${ph}/open/${set}/uploads`, { size: 100, sha256: 'a'.repeat(64) }),
      })),
      {
        method: 'POST',
        route: '/api/v1/challenges/{challenge}/phases/{phase}/submissions/uploads',
        expect: { admin: 501, owner: 403, otherOrganiser: 403, participant: 501, otherParticipant: 501, anonymous: 401 },
        send: (r) => api.json(tok(r), 'POST', `${ph}/open/submissions/uploads`, { kind: 'predictions', size: 100, sha256: 'a'.repeat(64) }),
      },
      {
        method: 'POST',
        route: '/api/v1/uploads/{id}/complete',
        expect: { ...all(404), anonymous: 401 },
        send: (r) => api.json(tok(r), 'POST', '/api/v1/uploads/00000000-0000-4000-8000-000000000000/complete'),
      },
      {
        method: 'DELETE',
        route: '/api/v1/uploads/{id}',
        expect: { ...all(404), anonymous: 401 },
        send: (r) => api.json(tok(r), 'DELETE', '/api/v1/uploads/00000000-0000-4000-8000-000000000000'),
      },
      {
        method: 'GET',
        route: '/api/v1/challenges/{challenge}/phases/{phase}/submissions',
        expect: { ...all(200), anonymous: 401 },
        send: (r) => api.json(tok(r), 'GET', `${ph}/final/submissions`),
      },
      {
        method: 'GET',
        route: '/api/v1/submissions/{id}',
        expect: { admin: 200, owner: 200, otherOrganiser: 403, participant: 200, otherParticipant: 403, anonymous: 404 },
        send: (r) => api.json(tok(r), 'GET', `/api/v1/submissions/${submissionId}`),
      },
      {
        method: 'GET',
        route: '/api/v1/submissions/{id}/series',
        expect: { admin: 200, owner: 200, otherOrganiser: 403, participant: 200, otherParticipant: 403, anonymous: 404 },
        send: (r) => api.json(tok(r), 'GET', `/api/v1/submissions/${submissionId}/series`),
      },
      {
        method: 'GET',
        route: '/api/v1/submissions/{id}/events',
        expect: { admin: 200, owner: 200, otherOrganiser: 403, participant: 200, otherParticipant: 403, anonymous: 404 },
        send: async (r) => {
          const controller = new AbortController()
          const res = await fetch(`${h.url}/api/v1/submissions/${submissionId}/events`, {
            headers: tok(r) ? { authorization: `Bearer ${tok(r)}` } : {},
            signal: controller.signal,
          })
          controller.abort()
          return res
        },
      },
      {
        method: 'POST',
        route: '/api/v1/submissions/{id}/reevaluate',
        expect: { admin: 409, owner: 409, otherOrganiser: 403, participant: 403, otherParticipant: 403, anonymous: 401 },
        // 409 for the permitted roles: the submission is cancelled by the cancel case below, or still active.
        send: (r) => api.json(tok(r), 'POST', `/api/v1/submissions/${submissionId}/reevaluate`),
      },
      {
        method: 'POST',
        route: '/api/v1/challenges/{challenge}/phases/{phase}/reevaluate',
        expect: { admin: 202, owner: 202, otherOrganiser: 403, participant: 403, otherParticipant: 403, anonymous: 401 },
        send: (r) => api.json(tok(r), 'POST', `${ph}/final/reevaluate`),
      },
      {
        method: 'GET',
        route: '/api/v1/challenges/{challenge}/phases/{phase}/leaderboard',
        expect: all(200),
        send: (r) => api.json(tok(r), 'GET', `${ph}/final/leaderboard`),
      },
      {
        method: 'GET',
        route: '/api/v1/challenges/{challenge}/phases/{phase}/leaderboard/stability',
        expect: all(200),
        send: (r) => api.json(tok(r), 'GET', `${ph}/final/leaderboard/stability`),
      },
      {
        method: 'POST',
        route: '/api/v1/users',
        expect: { admin: 201, owner: 403, otherOrganiser: 403, participant: 403, otherParticipant: 403, anonymous: 401 },
        send: (r) => api.json(tok(r), 'POST', '/api/v1/users', { name: `u-${r.toLowerCase()}-${n++}`, role: 'participant' }),
      },
      {
        method: 'GET',
        route: '/api/v1/users',
        expect: { admin: 200, owner: 403, otherOrganiser: 403, participant: 403, otherParticipant: 403, anonymous: 401 },
        send: (r) => api.json(tok(r), 'GET', '/api/v1/users'),
      },
      {
        method: 'POST',
        route: '/api/v1/users/{id}/tokens',
        expect: { admin: 201, owner: 403, otherOrganiser: 403, participant: 403, otherParticipant: 403, anonymous: 401 },
        send: (r) => api.json(tok(r), 'POST', `/api/v1/users/${participantId}/tokens`),
      },
      {
        method: 'DELETE',
        route: '/api/v1/tokens/{id}',
        expect: { admin: 200, owner: 403, otherOrganiser: 403, participant: 403, otherParticipant: 403, anonymous: 401 },
        // A fresh spare token of the participant each time: their own token keeps working.
        send: async (r) => api.json(tok(r), 'DELETE', `/api/v1/tokens/${(await issueToken(h.db.prisma, participantId)).id}`),
      },
      { method: 'GET', route: '/api/v1/me', expect: { ...all(200), anonymous: 401 }, send: (r) => api.json(tok(r), 'GET', '/api/v1/me') },
      { method: 'GET', route: '/api/v1/status', expect: all(200), send: (r) => api.json(tok(r), 'GET', '/api/v1/status') },
      {
        method: 'GET',
        route: '/api/v1/challenges/{challenge}/phases/{phase}/quota',
        expect: { ...all(200), anonymous: 401 },
        send: (r) => api.json(tok(r), 'GET', `${ph}/final/quota`),
      },
      // The web pages' routes: session exchange, metric definitions, board views, canary, challenge edits, evaluation logs.
      {
        method: 'POST',
        route: '/api/v1/session',
        expect: { ...all(200), anonymous: 401 },
        send: (r) => api.json(undefined, 'POST', '/api/v1/session', { token: tok(r) ?? 'sbk_not-a-token' }),
      },
      { method: 'GET', route: '/api/v1/session', expect: all(200), send: (r) => api.json(tok(r), 'GET', '/api/v1/session') },
      { method: 'DELETE', route: '/api/v1/session', expect: all(204), send: (r) => api.json(tok(r), 'DELETE', '/api/v1/session') },
      {
        method: 'GET',
        route: '/api/v1/scoring-profiles',
        expect: all(200),
        send: (r) => api.json(tok(r), 'GET', '/api/v1/scoring-profiles'),
      },
      {
        method: 'GET',
        route: '/api/v1/challenges/{challenge}/phases/{phase}/leaderboard/aggregates',
        expect: all(200),
        send: (r) => api.json(tok(r), 'GET', `${ph}/final/leaderboard/aggregates?sequence=t1`),
      },
      {
        method: 'GET',
        route: '/api/v1/challenges/{challenge}/phases/{phase}/leaderboard/history',
        expect: all(200),
        send: (r) => api.json(tok(r), 'GET', `${ph}/final/leaderboard/history`),
      },
      {
        method: 'PATCH',
        route: '/api/v1/challenges/{challenge}',
        expect: { admin: 200, owner: 200, otherOrganiser: 403, participant: 403, otherParticipant: 403, anonymous: 401 },
        send: (r) => api.json(tok(r), 'PATCH', '/api/v1/challenges/spine', { description: `edited by ${r}` }),
      },
      {
        method: 'GET',
        route: '/api/v1/submissions/{id}/canary',
        expect: { admin: 200, owner: 200, otherOrganiser: 403, participant: 200, otherParticipant: 403, anonymous: 404 },
        send: (r) => api.json(tok(r), 'GET', `/api/v1/submissions/${submissionId}/canary`),
      },
      {
        method: 'GET',
        route: '/api/v1/submissions/{id}/canary/{series}/preview.png',
        // A predictions submission has no canary run: 404 for those who may see it.
        expect: { admin: 404, owner: 404, otherOrganiser: 403, participant: 404, otherParticipant: 403, anonymous: 404 },
        send: (r) => api.json(tok(r), 'GET', `/api/v1/submissions/${submissionId}/canary/1_t1/preview.png`),
      },
      {
        method: 'GET',
        route: '/api/v1/submissions/{id}/evaluations',
        expect: { admin: 200, owner: 200, otherOrganiser: 403, participant: 403, otherParticipant: 403, anonymous: 404 },
        send: (r) => api.json(tok(r), 'GET', `/api/v1/submissions/${submissionId}/evaluations`),
      },
      {
        method: 'POST',
        route: '/api/v1/submissions/{id}/cancel',
        // The participant's cancel runs last (see the order of ROLES), after the denials.
        expect: { admin: 409, owner: 409, otherOrganiser: 403, participant: 409, otherParticipant: 403, anonymous: 401 },
        send: (r) => api.json(tok(r), 'POST', `/api/v1/submissions/${submissionId}/cancel`),
      },
    ]

    it('answers every role as expected on every route', async () => {
      // Cancel the participant's submission first so reevaluate/cancel answers are deterministic (409).
      expect((await api.json(tok('participant'), 'POST', `/api/v1/submissions/${submissionId}/cancel`)).status).toBe(200)
      const failures: string[] = []
      for (const c of cases()) {
        for (const role of ROLES) {
          const res = await c.send(role)
          if (res.status !== c.expect[role])
            failures.push(
              `${c.method} ${c.route} as ${role}: ${res.status} (expected ${c.expect[role]}) ${await res.text().catch(() => '')}`,
            )
          else await res.body?.cancel().catch(() => undefined)
        }
      }
      expect(failures).toEqual([])
    })

    it('covers every route of the OpenAPI document', async () => {
      const doc = (await (await fetch(`${h.url}/docs/json`)).json()) as { paths: Record<string, Record<string, unknown>> }
      const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
      const covered = new Set(cases().map((c) => `${c.method} ${c.route}`))
      expect(documented.filter((r) => !covered.has(r))).toEqual([])
    })

    it('never serves hidden test data', async () => {
      const series = await h.db.prisma.testSeries.findFirstOrThrow()
      const probes = [
        `${ph}/final/test-set`,
        `/${series.maskKey}`,
        `/storage/${series.maskKey}`,
        `/data/storage/${series.maskKey}`,
        `/api/v1/${series.maskKey}`,
        `/api/v1/challenges/spine/phases/final/test-set/series`,
      ]
      for (const role of ROLES) {
        for (const path of probes) {
          const res = await api.json(tok(role), 'GET', path)
          expect([404, 405], `${role} GET ${path}`).toContain(res.status)
        }
        // No readable document mentions storage keys or file checksums of the hidden set.
        for (const path of [
          '/api/v1/challenges',
          '/api/v1/challenges/spine',
          `/api/v1/submissions/${submissionId}`,
          `/api/v1/submissions/${submissionId}/series`,
          `${ph}/final/submissions`,
          `${ph}/final/leaderboard`,
          `${ph}/final/leaderboard/stability`,
          `${ph}/final/leaderboard/aggregates`,
          `${ph}/final/leaderboard/history`,
          `/api/v1/submissions/${submissionId}/canary`,
          `/api/v1/submissions/${submissionId}/evaluations`,
        ]) {
          const text = await (await api.json(tok(role), 'GET', path)).text()
          expect(text).not.toContain('testsets/')
          expect(text).not.toContain(series.maskSha256)
        }
      }
    })
  })
}

describe('failed authentications are rate-limited', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness('postgres', { authFailureLimit: 3, authFailureWindowSeconds: 60 })
  })
  afterAll(async () => {
    await h?.close()
  })

  it('answers 429 with Retry-After to failures after the limit, while valid tokens and anonymous reads still work', async () => {
    const { token } = await h.user('admin', 'admin')
    const bad = 'sbk_' + 'A'.repeat(43)
    for (let i = 0; i < 3; i++)
      expect((await fetch(`${h.url}/api/v1/challenges`, { method: 'POST', headers: { authorization: `Bearer ${bad}` } })).status).toBe(401)
    const blocked = await fetch(`${h.url}/api/v1/challenges`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bad}`, 'content-type': 'application/json' },
      body: '{"slug":"x","title":"x"}',
    })
    expect(blocked.status).toBe(429)
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(50)
    expect(((await blocked.json()) as { error: { message: string } }).error.message).toMatch(
      /^too many failed authentications from 127\.0\.0\.1; retry in \d+ s$/,
    )
    expect(await h.db.prisma.challenge.count()).toBe(0)
    // Only failures are refused: the admin's valid token from the same address works.
    const valid = await fetch(`${h.url}/api/v1/challenges`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{"slug":"x","title":"x"}',
    })
    expect(valid.status).toBe(201)
    expect((await fetch(`${h.url}/api/v1/challenges`)).status).toBe(200)
  })
})
