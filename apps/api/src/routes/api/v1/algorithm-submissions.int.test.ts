import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { encodeConvNet } from '@spider-bench/inference'
import { startHarness, type Harness } from '../../../testing/harness.ts'
import { apiClient, PHASE_BODY } from '../../../testing/client.ts'
import { mhaBytes } from '../../../testing/images.ts'

// A 1x1x1 convolution to four classes + softmax: a valid (if useless) segmentation model.
const model = encodeConvNet({
  name: 'tiny',
  inChannels: 1,
  layers: [
    {
      weights: Float32Array.from([0.1, -0.2, 0.3, 0.05]),
      bias: Float32Array.from([0, 0.1, 0.2, 0.3]),
      inChannels: 1,
      outChannels: 4,
      kernel: [1, 1, 1],
      activation: 'none',
    },
  ],
  softmax: true,
})
const config = {
  schemaVersion: 1,
  input: { channels: ['image'], spacing: null },
  normalization: { kind: 'z-score' },
  slidingWindow: { patchSize: [8, 8, 4], overlap: 0.5, blending: 'gaussian' },
  output: { kind: 'probabilities', channels: [{ class: 'background' }, { class: 'vertebra' }, { class: 'disc' }, { class: 'canal' }] },
}

describe('algorithm submissions (postgres)', () => {
  let h: Harness
  let api: ReturnType<typeof apiClient>
  let participant: string
  const url = '/api/v1/challenges/spine/phases/final/submissions'

  beforeAll(async () => {
    h = await startHarness('postgres')
    api = apiClient(h.url, h.dataDir)
    const org = (await h.user('org', 'organiser')).token
    participant = (await h.user('p', 'participant')).token
    expect((await api.json(org, 'POST', '/api/v1/challenges', { slug: 'spine', title: 'Spine' })).status).toBe(201)
    expect(
      (await api.json(org, 'POST', '/api/v1/challenges/spine/phases', { ...PHASE_BODY, submissionKinds: ['predictions', 'algorithm'] }))
        .status,
    ).toBe(201)
    const set = await api.archive([
      { name: 'images/1_t1.mha', data: await mhaBytes('image') },
      { name: 'masks/1_t1.mha', data: await mhaBytes('mask') },
    ])
    expect((await api.multipart(org, 'PUT', '/api/v1/challenges/spine/phases/final/test-set', { archive: set })).status).toBe(200)
  })
  afterAll(async () => {
    await h?.close()
  })

  it('refuses an invalid model or config with 422 naming the problem, storing nothing', async () => {
    const badJson = await api.multipart(participant, 'POST', url, {
      kind: 'algorithm',
      model: new Blob([Buffer.from(model)]),
      config: new Blob(['{not json']),
    })
    expect(badJson.status).toBe(422)
    expect(((await badJson.json()) as { error: { message: string } }).error.message).toMatch(/^config: config is not valid JSON \(/)
    const badModel = await api.multipart(participant, 'POST', url, {
      kind: 'algorithm',
      model: new Blob(['not a model']),
      config: new Blob([JSON.stringify(config)]),
    })
    expect(badModel.status).toBe(422)
    expect(((await badModel.json()) as { error: { message: string } }).error.message).toBe(
      'model: not a valid ONNX model (malformed protobuf: field 13 at byte 0 has wire type 6, which ONNX does not use)',
    )
    const missing = await api.multipart(participant, 'POST', url, { kind: 'algorithm', config: new Blob([JSON.stringify(config)]) })
    expect(missing.status).toBe(400)
    expect(((await missing.json()) as { error: { message: string } }).error.message).toBe('missing file field model (the ONNX file)')
    expect(await h.db.prisma.submission.count()).toBe(0)
    expect(await h.storage.list('submissions')).toEqual([])
  })

  it('accepts a valid model and config (202), stores both and queues the evaluation', async () => {
    const res = await api.multipart(participant, 'POST', url, {
      kind: 'algorithm',
      model: new Blob([Buffer.from(model)]),
      config: new Blob([JSON.stringify(config)]),
    })
    expect(res.status).toBe(202)
    const { id } = (await res.json()) as { id: string }
    const sub = await h.db.prisma.submission.findUniqueOrThrow({ where: { id }, include: { evaluations: true } })
    expect(sub.kind).toBe('algorithm')
    expect(sub.config).toMatchObject({ slidingWindow: { patchSize: [8, 8, 4] } })
    const files = sub.files as { model: string; config: string }
    expect(Buffer.from(await h.storage.get(files.model)).equals(Buffer.from(model))).toBe(true)
    expect(JSON.parse((await h.storage.get(files.config)).toString())).toEqual(config)
    expect((await h.app.evaluationQueue.getJob(sub.evaluations[0].id))?.data).toEqual({ evaluationId: sub.evaluations[0].id })
    // No sanity cases in this phase yet: the first evaluation is on the hidden test set.
    const testSet = await h.db.prisma.testSetVersion.findUniqueOrThrow({ where: { id: sub.evaluations[0].testSetId } })
    expect(testSet.public).toBe(false)
    await h.db.prisma.evaluation.updateMany({ where: { submissionId: id }, data: { status: 'succeeded' } })
    await h.db.prisma.submission.update({ where: { id }, data: { status: 'succeeded' } })
  })

  it('runs an algorithm on the public sanity cases first (canary) once the organisers upload them', async () => {
    const orgToken = (await h.user('org2', 'organiser')).token
    // Only the challenge's owner (or an admin) may upload sanity cases.
    const sanity = await api.archive([
      { name: 'images/sanity_t2.mha', data: await mhaBytes('image') },
      { name: 'masks/sanity_t2.mha', data: await mhaBytes('mask') },
    ])
    expect((await api.multipart(orgToken, 'PUT', '/api/v1/challenges/spine/phases/final/sanity-set', { archive: sanity })).status).toBe(403)
    const admin = (await h.user('admin', 'admin')).token
    const uploaded = await api.multipart(admin, 'PUT', '/api/v1/challenges/spine/phases/final/sanity-set', { archive: sanity })
    expect(uploaded.status).toBe(200)
    expect(await uploaded.json()).toEqual({ version: 1, count: 1, series: [{ name: 'sanity_t2', sequence: 't2' }] })
    // The hidden test set keeps its own version numbering.
    const sets = await h.db.prisma.testSetVersion.findMany({ orderBy: { createdAt: 'asc' }, select: { version: true, public: true } })
    expect(sets).toEqual([
      { version: 1, public: false },
      { version: 1, public: true },
    ])

    const res = await api.multipart(participant, 'POST', url, {
      kind: 'algorithm',
      model: new Blob([Buffer.from(model)]),
      config: new Blob([JSON.stringify(config)]),
    })
    expect(res.status).toBe(202)
    const { id } = (await res.json()) as { id: string }
    const sub = await h.db.prisma.submission.findUniqueOrThrow({ where: { id }, include: { evaluations: { include: { testSet: true } } } })
    expect(sub.evaluations.map((e) => [e.testSet.public, e.progressTotal])).toEqual([[true, 1]])
    const view = (await (await api.json(participant, 'GET', `/api/v1/submissions/${id}`)).json()) as { progress: { total: number } }
    expect(view.progress.total).toBe(1)
  })
})
