import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { startHarness, type Backend, type Harness } from '../../../testing/harness.ts'
import { apiClient, PHASE_BODY } from '../../../testing/client.ts'
import { mhaBytes } from '../../../testing/images.ts'
import type { TestEntry } from '../../../testing/archives.ts'

interface ErrorBody {
  error: { code: string; message: string; details?: { problems?: string[]; nextAllowedAt?: string } }
}

for (const backend of ['postgres', 'pglite'] as Backend[]) {
  describe(`participant flow (${backend})`, () => {
    let h: Harness
    let api: ReturnType<typeof apiClient>
    let organiser: string
    let alice: string
    let bob: string
    let image: Buffer
    let mask: Buffer
    const base = '/api/v1/challenges/spine/phases'

    beforeAll(async () => {
      h = await startHarness(backend, { maxUploadBytes: 200_000, maxArchiveBytes: 2_000_000 })
      api = apiClient(h.url, h.dataDir)
      organiser = (await h.user('org', 'organiser')).token
      alice = (await h.user('alice', 'participant')).token
      bob = (await h.user('bob', 'participant')).token
      image = await mhaBytes('image')
      mask = await mhaBytes('mask')
      expect((await api.json(organiser, 'POST', '/api/v1/challenges', { slug: 'spine', title: 'Spine' })).status).toBe(201)
      for (const slug of ['final', 'limited', 'future', 'past']) {
        const extra =
          slug === 'limited'
            ? { submissionLimit: { count: 2, periodHours: 24 } }
            : slug === 'future'
              ? { opensAt: '2999-01-01T00:00:00Z' }
              : slug === 'past'
                ? { opensAt: '2000-01-01T00:00:00Z', closesAt: '2001-01-01T00:00:00Z' }
                : {}
        expect((await api.json(organiser, 'POST', `/api/v1/challenges/spine/phases`, { ...PHASE_BODY, slug, ...extra })).status).toBe(201)
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

    const predictions = (
      entries: TestEntry[] = [
        { name: 'out/deep/1_t1.mha', data: mask },
        { name: '2_t2.mha', data: mask },
      ],
      format: 'zip' | 'tar.gz' = 'zip',
    ) => api.archive(entries, format)
    const submit = async (token: string, phase: string, parts: Record<string, string | Blob>) =>
      api.multipart(token, 'POST', `${base}/${phase}/submissions`, parts)
    const counts = async () => ({ submissions: await h.db.prisma.submission.count(), files: (await h.storage.list('submissions')).length })

    let firstId = ''

    it('accepts valid predictions (202) and queues one job holding only the evaluation id', async () => {
      const res = await submit(alice, 'final', { kind: 'predictions', predictions: await predictions() })
      expect(res.status).toBe(202)
      const body = (await res.json()) as { id: string; status: string }
      expect(body.status).toBe('queued')
      firstId = body.id
      const evaluation = await h.db.prisma.evaluation.findFirstOrThrow({ where: { submissionId: firstId } })
      expect(evaluation).toMatchObject({ status: 'queued', profile: 'spider', progressTotal: 2 })
      const job = await h.app.evaluationQueue.getJob(evaluation.id)
      expect(job?.data).toEqual({ evaluationId: evaluation.id })
      expect(job?.id).toBe(evaluation.id)
      const sub = await h.db.prisma.submission.findUniqueOrThrow({ where: { id: firstId } })
      expect(Object.keys(sub.files as object).sort()).toEqual(['1_t1', '2_t2'])
      expect(await h.storage.exists((sub.files as Record<string, string>)['1_t1'])).toBe(true)
      const view = await api.json(alice, 'GET', `/api/v1/submissions/${firstId}`)
      expect(view.status).toBe(200)
      expect(await view.json()).toMatchObject({
        id: firstId,
        challenge: 'spine',
        phase: 'final',
        participant: 'alice',
        kind: 'predictions',
        status: 'queued',
        progress: { done: 0, total: 2 },
      })
    })

    it('refuses a second submission while one is in evaluation (409), then accepts after cancelling', async () => {
      const again = await submit(alice, 'final', { kind: 'predictions', predictions: await predictions() })
      expect(again.status).toBe(409)
      expect(((await again.json()) as ErrorBody).error.message).toContain(`you already have submission ${firstId} queued`)
      const cancel = await api.json(alice, 'POST', `/api/v1/submissions/${firstId}/cancel`)
      expect(cancel.status).toBe(200)
      expect(((await cancel.json()) as { status: string }).status).toBe('cancelled')
      const evaluation = await h.db.prisma.evaluation.findFirstOrThrow({ where: { submissionId: firstId } })
      expect(evaluation.status).toBe('cancelled')
      expect(await h.app.evaluationQueue.getJob(evaluation.id)).toBeUndefined()
      expect((await api.json(alice, 'POST', `/api/v1/submissions/${firstId}/cancel`)).status).toBe(409)
      const tarGz = await submit(alice, 'final', { kind: 'predictions', predictions: await predictions(undefined, 'tar.gz') })
      expect(tarGz.status).toBe(202)
    })

    it('rejects bad predictions with 422 listing every problem, storing nothing and not counting', async () => {
      const before = await counts()
      const res = await submit(bob, 'final', {
        kind: 'predictions',
        predictions: await predictions([
          { name: 'a/1_t1.mha', data: await mhaBytes('mask', { size: [12, 10, 5] }) },
          { name: 'b/1_t1.mha', data: mask },
          { name: '3_t1.mha', data: mask },
          { name: 'readme.txt', data: 'hi' },
        ]),
      })
      expect(res.status).toBe(422)
      const problems = ((await res.json()) as ErrorBody).error.details?.problems ?? []
      expect(problems).toEqual([
        '3_t1.mha: unexpected file (the test set has no series "3_t1")',
        'b/1_t1.mha: series "1_t1" already has a prediction (a/1_t1.mha)',
        'readme.txt: unexpected file (not an image: expected one of .nii.gz, .mha, .mhd, .nii, .nrrd, .nhdr)',
        'missing prediction for series "2_t2"',
        'a/1_t1.mha: size 12x10x5 differs from the size of test series "1_t1" (12x10x4)',
      ])
      const unreadable = await submit(bob, 'final', {
        kind: 'predictions',
        predictions: await predictions([
          { name: '1_t1.mha', data: 'garbage' },
          { name: '2_t2.mha', data: await mhaBytes('mask', { labels: 'fractional' }) },
        ]),
      })
      expect(unreadable.status).toBe(422)
      const p2 = ((await unreadable.json()) as ErrorBody).error.details?.problems ?? []
      expect(p2[0]).toMatch(/^1_t1\.mha: cannot read image/)
      expect(p2[1]).toMatch(/^2_t2\.mha: fractional label 1\.5 at voxel/)
      expect(await counts()).toEqual(before)
      expect(await readdir(join(h.dataDir, 'tmp'))).toEqual([])
    })

    it('refuses wrong kinds, missing fields and algorithm submissions a phase does not accept', async () => {
      const noKind = await submit(bob, 'final', { predictions: await predictions() })
      expect(noKind.status).toBe(400)
      expect(((await noKind.json()) as ErrorBody).error.message).toBe('field "kind" must be "predictions" or "algorithm", got nothing')
      const algo = await submit(bob, 'final', { kind: 'algorithm', model: new Blob(['x']), config: new Blob(['{}']) })
      expect(algo.status).toBe(422)
      expect(((await algo.json()) as ErrorBody).error.message).toBe('phase "final" accepts "predictions" submissions, not "algorithm"')
      const noFile = await submit(bob, 'final', { kind: 'predictions' })
      expect(noFile.status).toBe(400)
    })

    it('refuses closed and not-yet-open phases with 403 naming the dates', async () => {
      const future = await submit(bob, 'future', { kind: 'predictions', predictions: await predictions() })
      expect(future.status).toBe(403)
      expect(((await future.json()) as ErrorBody).error.message).toMatch(
        /^phase "future" is not open yet: it opens at 2999-01-01T00:00:00\.000Z \(now /,
      )
      const past = await submit(bob, 'past', { kind: 'predictions', predictions: await predictions() })
      expect(past.status).toBe(403)
      expect(((await past.json()) as ErrorBody).error.message).toMatch(/^phase "past" is closed: it closed at 2001-01-01T00:00:00\.000Z/)
    })

    it('enforces the submission limit with 429 and the next allowed time; rejections do not count', async () => {
      const bad = await submit(bob, 'limited', { kind: 'predictions', predictions: await predictions([{ name: '1_t1.mha', data: mask }]) })
      expect(bad.status).toBe(422)
      const ids: string[] = []
      for (let i = 0; i < 2; i++) {
        const ok = await submit(bob, 'limited', { kind: 'predictions', predictions: await predictions() })
        expect(ok.status).toBe(202)
        const { id } = (await ok.json()) as { id: string }
        ids.push(id)
        expect((await api.json(bob, 'POST', `/api/v1/submissions/${id}/cancel`)).status).toBe(200)
      }
      const first = await h.db.prisma.submission.findUniqueOrThrow({ where: { id: ids[0] } })
      const third = await submit(bob, 'limited', { kind: 'predictions', predictions: await predictions() })
      expect(third.status).toBe(429)
      const body = (await third.json()) as ErrorBody
      const next = new Date(first.createdAt.getTime() + 24 * 3600_000).toISOString()
      expect(body.error.message).toBe(`submission limit reached (2 per 24 h); the next submission is allowed at ${next}`)
      expect(body.error.details?.nextAllowedAt).toBe(next)
      expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(24 * 3600 - 120)
    })

    it('enforces MAX_UPLOAD_BYTES while streaming (413) and the expanded-size limit (413), leaving nothing behind', async () => {
      const before = await counts()
      const big = await submit(bob, 'final', { kind: 'predictions', predictions: new Blob([Buffer.alloc(300_000, 1)]) })
      expect(big.status).toBe(413)
      expect(((await big.json()) as ErrorBody).error.message).toBe('file "predictions" exceeds MAX_UPLOAD_BYTES (200000 bytes)')
      const bomb = await submit(bob, 'final', {
        kind: 'predictions',
        predictions: await predictions([{ name: '1_t1.mha', data: Buffer.alloc(3_000_000) }]),
      })
      expect(bomb.status).toBe(413)
      // Predictions are bounded by what the test set can need (2 series of 12×10×4 voxels), well below MAX_ARCHIVE_BYTES.
      expect(((await bomb.json()) as ErrorBody).error.message).toBe(
        '1_t1.mha: expands to more than 69376 bytes, ' +
          'the most that predictions for the 2 test series can need (voxels × 8 bytes + 64 KiB per series)',
      )
      expect(await counts()).toEqual(before)
      expect(await readdir(join(h.dataDir, 'tmp'))).toEqual([])
    })

    it('lists own submissions; organisers see all; others cannot read them', async () => {
      const mine = (await (await api.json(alice, 'GET', `${base}/final/submissions?mine=1`)).json()) as Array<{ participant: string }>
      expect(mine.length).toBe(2)
      expect(new Set(mine.map((s) => s.participant))).toEqual(new Set(['alice']))
      const bobs = (await (await api.json(bob, 'GET', `${base}/final/submissions`)).json()) as unknown[]
      expect(bobs).toEqual([])
      const all = (await (await api.json(organiser, 'GET', `${base}/final/submissions`)).json()) as unknown[]
      expect(all.length).toBe(2)
      expect((await api.json(bob, 'GET', `/api/v1/submissions/${firstId}`)).status).toBe(403)
      expect((await api.json(bob, 'GET', `/api/v1/submissions/${firstId}/series`)).status).toBe(403)
      expect((await api.json(bob, 'POST', `/api/v1/submissions/${firstId}/cancel`)).status).toBe(403)
      expect((await api.json(undefined, 'GET', `/api/v1/submissions/${firstId}`)).status).toBe(404)
    })

    it('shows aggregates and per-series results once evaluated, as perSeriesVisibility allows', async () => {
      const evaluation = await h.db.prisma.evaluation.findFirstOrThrow({ where: { submissionId: firstId } })
      await h.db.prisma.evaluation.update({
        where: { id: evaluation.id },
        data: { status: 'succeeded', progressDone: 2, aggregates: { DiceVertebrae: { mean: 0.9 } } },
      })
      await h.db.prisma.submission.update({ where: { id: firstId }, data: { status: 'succeeded' } })
      await h.db.prisma.seriesResult.create({
        data: {
          evaluationId: evaluation.id,
          seriesName: '1_t1',
          sequence: 't1',
          status: 'scored',
          metrics: { DiceVertebrae: 0.9 },
          structures: [],
        },
      })
      const view = (await (await api.json(alice, 'GET', `/api/v1/submissions/${firstId}`)).json()) as {
        aggregates: unknown
        progress: unknown
      }
      expect(view.aggregates).toEqual({ DiceVertebrae: { mean: 0.9 } })
      expect(view.progress).toEqual({ done: 2, total: 2 })
      const series = (await (await api.json(alice, 'GET', `/api/v1/submissions/${firstId}/series`)).json()) as {
        series: Array<{ name: string }>
        testSetVersion: number
      }
      expect(series.series.map((s) => s.name)).toEqual(['1_t1'])
      expect(series.testSetVersion).toBe(1)
      expect((await api.json(organiser, 'PATCH', `${base}/final`, { perSeriesVisibility: 'organisers' })).status).toBe(200)
      expect((await api.json(alice, 'GET', `/api/v1/submissions/${firstId}/series`)).status).toBe(403)
      expect((await api.json(organiser, 'GET', `/api/v1/submissions/${firstId}/series`)).status).toBe(200)
    })
  })
}
