import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startHarness, type Harness } from '../../../testing/harness.ts'
import { apiClient, PHASE_BODY } from '../../../testing/client.ts'
import { mhaBytes } from '../../../testing/images.ts'

interface Quota {
  limit: { count: number; periodHours: number } | null
  used: number
  remaining: number | null
  nextAt: string | null
  activeSubmissionId: string | null
}

interface PhaseDoc {
  slug: string
  testSet: { count: number; series?: Array<{ name: string; sequence: string; size: number[] }> } | null
  resources: { inferenceTimePerSeriesMs: number; memoryLimitMb: number; executionProviders: string[]; maxModelBytes: number }
}

describe('quota and the phase document (postgres)', () => {
  let h: Harness
  let api: ReturnType<typeof apiClient>
  let organiser = ''
  let alice = ''
  let mask: Buffer
  const base = '/api/v1/challenges/spine/phases'

  beforeAll(async () => {
    h = await startHarness('postgres', {
      maxUploadBytes: 123_456_789,
      inference: { timeLimitMs: 90_000, memoryLimitMb: 2048, providers: ['cuda', 'cpu'] },
    })
    api = apiClient(h.url, h.dataDir)
    organiser = (await h.user('org', 'organiser')).token
    alice = (await h.user('alice', 'participant')).token
    const image = await mhaBytes('image')
    mask = await mhaBytes('mask', { size: [12, 10, 4] })
    expect((await api.json(organiser, 'POST', '/api/v1/challenges', { slug: 'spine', title: 'Spine' })).status).toBe(201)
    for (const [slug, extra] of [
      ['limited', { submissionLimit: { count: 2, periodHours: 24 } }],
      ['free', { submissionLimit: null }],
      ['algorithms', { submissionKinds: ['algorithm'], opensAt: '2999-01-01T00:00:00Z' }],
    ] as const) {
      expect((await api.json(organiser, 'POST', base, { ...PHASE_BODY, slug, ...extra })).status).toBe(201)
      const set = await api.archive([
        { name: 'images/1_t1.mha', data: image },
        { name: 'masks/1_t1.mha', data: mask },
        { name: 'images/2_t2.mha', data: image },
        { name: 'masks/2_t2.mha', data: mask },
      ])
      expect((await api.multipart(organiser, 'PUT', `${base}/${slug}/test-set`, { archive: set })).status).toBe(200)
    }
  })
  afterAll(async () => {
    await h?.close()
  })

  const quota = async (token: string | undefined, phase: string) => {
    const res = await api.json(token, 'GET', `${base}/${phase}/quota`)
    return { status: res.status, body: (await res.json()) as Quota }
  }
  const submit = async (
    entries = [
      { name: '1_t1.mha', data: mask },
      { name: '2_t2.mha', data: mask },
    ],
  ) => api.multipart(alice, 'POST', `${base}/limited/submissions`, { kind: 'predictions', predictions: await api.archive(entries) })

  it('counts accepted submissions only, names the active one, and gives the next allowed time once the limit is reached', async () => {
    expect(await quota(alice, 'limited')).toEqual({
      status: 200,
      body: { limit: { count: 2, periodHours: 24 }, used: 0, remaining: 2, nextAt: null, activeSubmissionId: null },
    })
    // A rejected upload (a series missing) is not counted.
    expect((await submit([{ name: '1_t1.mha', data: mask }])).status).toBe(422)
    expect((await quota(alice, 'limited')).body).toMatchObject({ used: 0, remaining: 2 })

    const first = (await (await submit()).json()) as { id: string }
    expect((await quota(alice, 'limited')).body).toEqual({
      limit: { count: 2, periodHours: 24 },
      used: 1,
      remaining: 1,
      nextAt: null,
      activeSubmissionId: first.id,
    })
    expect((await api.json(alice, 'POST', `/api/v1/submissions/${first.id}/cancel`)).status).toBe(200)
    expect((await quota(alice, 'limited')).body).toMatchObject({ used: 1, remaining: 1, activeSubmissionId: null })

    const second = (await (await submit()).json()) as { id: string }
    const createdAt = (await h.db.prisma.submission.findUniqueOrThrow({ where: { id: first.id } })).createdAt
    const full = (await quota(alice, 'limited')).body
    expect(full).toEqual({
      limit: { count: 2, periodHours: 24 },
      used: 2,
      remaining: 0,
      nextAt: new Date(createdAt.getTime() + 24 * 3_600_000).toISOString(),
      activeSubmissionId: second.id,
    })
    // The quota agrees with what a submission is told.
    expect((await api.json(alice, 'POST', `/api/v1/submissions/${second.id}/cancel`)).status).toBe(200)
    const refused = await submit()
    expect(refused.status).toBe(429)
    expect(((await refused.json()) as { error: { details: { nextAllowedAt: string } } }).error.details.nextAllowedAt).toBe(full.nextAt)

    // A submission that failed for a system reason (the worker clears countsTowardLimit) is not counted.
    await h.db.prisma.submission.update({ where: { id: second.id }, data: { status: 'failed', countsTowardLimit: false } })
    expect((await quota(alice, 'limited')).body).toMatchObject({ used: 1, remaining: 1, nextAt: null })
  })

  it('has no limit, remaining or next time without a limit; the opening time in a phase not open yet; 401 when anonymous', async () => {
    expect((await quota(alice, 'free')).body).toEqual({ limit: null, used: 0, remaining: null, nextAt: null, activeSubmissionId: null })
    expect((await quota(alice, 'algorithms')).body).toMatchObject({ nextAt: '2999-01-01T00:00:00.000Z' })
    expect((await quota(undefined, 'free')).status).toBe(401)
    expect((await quota(alice, 'nope')).status).toBe(404)
  })

  it('states the resources an algorithm gets, and the series names and sizes in phases that take predictions', async () => {
    const challenge = (await (await api.json(undefined, 'GET', '/api/v1/challenges/spine')).json()) as { phases: PhaseDoc[] }
    const bySlug = Object.fromEntries(challenge.phases.map((p) => [p.slug, p]))
    for (const p of challenge.phases)
      expect(p.resources).toEqual({
        inferenceTimePerSeriesMs: 90_000,
        memoryLimitMb: 2048,
        executionProviders: ['cuda', 'cpu'],
        maxModelBytes: 123_456_789,
      })
    expect(bySlug.limited.testSet?.series).toEqual([
      { name: '1_t1', sequence: 't1', size: [12, 10, 4] },
      { name: '2_t2', sequence: 't2', size: [12, 10, 4] },
    ])
    // An algorithm-only phase's participants never hold the test images: names stay unpublished.
    expect(bySlug.algorithms.testSet).toMatchObject({ count: 2 })
    expect(bySlug.algorithms.testSet?.series).toBeUndefined()
  })
})
