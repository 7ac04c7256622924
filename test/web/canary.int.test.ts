/**
 * Canary pictures of algorithm submissions: the server draws the mid-sagittal slice of each
 * public sanity case with the reference and the model's prediction outlined, from the public
 * case only. Real inference worker (onnxruntime), real storage, real HTTP; the page shows the
 * pictures under its CSP. No route draws a hidden series, even one whose predicted mask the
 * hidden evaluation stored under the same name.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pino } from 'pino'
import { inferredPredictionKey } from '@spider-bench/contracts'
import { fastModel } from '@spider-bench/inference/testing'
import { readImage } from '@spider-bench/scoring'
import { withLocalFile } from '@spider-bench/storage'
import { synthesize } from '@spider-bench/synth'
import { outlinePreviewPng } from '@spider-bench/synth/preview'
import { startWorkers, type RunningWorkers } from '@spider-bench/worker'
import { startHarness, type Harness } from '../../apps/api/src/testing/harness.ts'
import { apiClient, PHASE_BODY } from '../../apps/api/src/testing/client.ts'
import type { TestEntry } from '../../apps/api/src/testing/archives.ts'
import { ensureWebBuilt, launchBrowser, seriousViolations } from './browser.ts'

const CONFIG = {
  schemaVersion: 1,
  input: { channels: ['image'], spacing: null },
  normalization: { kind: 'z-score' },
  slidingWindow: { patchSize: [8, 32, 32], overlap: 0.25, blending: 'gaussian' },
  output: { kind: 'logits', channels: [{ class: 'background' }, { class: 'vertebra' }] },
}

describe('canary pictures of public sanity cases', () => {
  let h: Harness
  let workers: RunningWorkers
  let api: ReturnType<typeof apiClient>
  let alice: string
  let bob: string
  let submissionId: string
  let hiddenNames: string[]
  let sanityNames: string[]

  const folder = async (dir: string): Promise<TestEntry[]> => {
    const entries: TestEntry[] = []
    for (const sub of ['images', 'masks'])
      for (const f of (await readdir(join(dir, sub))).sort()) entries.push({ name: `${sub}/${f}`, data: await readFile(join(dir, sub, f)) })
    return entries
  }

  beforeAll(async () => {
    await ensureWebBuilt()
    h = await startHarness('postgres')
    api = apiClient(h.url, h.dataDir)
    const hidden = join(h.dataDir, 'hidden')
    const sanity = join(h.dataDir, 'sanity')
    await synthesize({ out: hidden, studies: 1, seed: 5, size: 'small' })
    await synthesize({ out: sanity, studies: 1, seed: 77, size: 'small', sequences: ['t2'] })
    hiddenNames = (await readdir(join(hidden, 'images'))).map((f) => f.replace(/\.mha$/, '')).sort()
    sanityNames = (await readdir(join(sanity, 'images'))).map((f) => f.replace(/\.mha$/, '')).sort()
    const org = (await h.user('org', 'organiser')).token
    alice = (await h.user('alice', 'participant')).token
    bob = (await h.user('bob', 'participant')).token
    expect((await api.json(org, 'POST', '/api/v1/challenges', { slug: 'spine', title: 'Spine' })).status).toBe(201)
    expect(
      (await api.json(org, 'POST', '/api/v1/challenges/spine/phases', { ...PHASE_BODY, submissionKinds: ['predictions', 'algorithm'] }))
        .status,
    ).toBe(201)
    expect(
      (
        await api.multipart(org, 'PUT', '/api/v1/challenges/spine/phases/final/test-set', {
          archive: await api.archive(await folder(hidden)),
        })
      ).status,
    ).toBe(200)
    expect(
      (
        await api.multipart(org, 'PUT', '/api/v1/challenges/spine/phases/final/sanity-set', {
          archive: await api.archive(await folder(sanity)),
        })
      ).status,
    ).toBe(200)
    workers = await startWorkers({
      prisma: h.db.prisma,
      storage: h.storage,
      redisUrl: h.config.redisUrl,
      queuePrefix: h.config.queuePrefix,
      inference: true,
      logger: pino({ level: 'silent' }),
      config: { concurrency: 2, reconcileIntervalMs: 3_600_000, reconcileGraceMs: 3_600_000 },
    })
    const res = await api.multipart(alice, 'POST', '/api/v1/challenges/spine/phases/final/submissions', {
      kind: 'algorithm',
      model: new Blob([Buffer.from(fastModel())]),
      config: new Blob([JSON.stringify(CONFIG)]),
    })
    expect(res.status, await res.clone().text()).toBe(202)
    submissionId = ((await res.json()) as { id: string }).id
    for (let i = 0; i < 600; i++) {
      const s = await h.db.prisma.submission.findUniqueOrThrow({ where: { id: submissionId } })
      if (s.status === 'succeeded' || s.status === 'failed') break
      await new Promise((r) => setTimeout(r, 250))
    }
    expect((await h.db.prisma.submission.findUniqueOrThrow({ where: { id: submissionId } })).status).toBe('succeeded')
  })

  afterAll(async () => {
    await workers?.close()
    await h?.close()
  })

  it("lists the canary run per public case with a picture drawn from the public case and the model's mask", async () => {
    const canary = (await (await api.json(alice, 'GET', `/api/v1/submissions/${submissionId}/canary`)).json()) as {
      evaluationId: string
      status: string
      series: Array<{ name: string; status: string; preview: string | null }>
    }
    expect(canary.status).toBe('succeeded')
    expect(canary.series.map((s) => s.name)).toEqual(sanityNames)
    const evaluation = await h.db.prisma.evaluation.findUniqueOrThrow({
      where: { id: canary.evaluationId },
      include: { testSet: { include: { series: true } } },
    })
    expect(evaluation.testSet.public).toBe(true)
    const submission = await h.db.prisma.submission.findUniqueOrThrow({ where: { id: submissionId } })
    for (const s of canary.series) {
      expect(s.preview).toBe(`/api/v1/submissions/${submissionId}/canary/${s.name}/preview.png`)
      const res = await api.json(alice, 'GET', s.preview as string)
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toBe('image/png')
      const png = Buffer.from(await res.arrayBuffer())
      // Exactly the picture of the public case: its image and mask, and the canary's prediction.
      const row = evaluation.testSet.series.find((x) => x.name === s.name)
      if (!row) throw new Error(`no sanity series ${s.name}`)
      const local = (key: string) => withLocalFile(h.storage, key, (path) => readImage(path))
      const expected = outlinePreviewPng(
        await local(row.imageKey),
        await local(row.maskKey),
        await local(inferredPredictionKey(submission.storagePrefix, canary.evaluationId, s.name)),
      )
      expect(png.equals(expected)).toBe(true)
      // Drawn once, then served from storage.
      expect(Buffer.from(await (await api.json(alice, 'GET', s.preview as string)).arrayBuffer()).equals(png)).toBe(true)
    }
  })

  it("draws no hidden series, though the hidden evaluation stored the model's masks of them", async () => {
    const hiddenEval = await h.db.prisma.evaluation.findFirstOrThrow({ where: { submissionId, testSet: { public: false } } })
    const submission = await h.db.prisma.submission.findUniqueOrThrow({ where: { id: submissionId } })
    const hiddenOnly = hiddenNames.filter((n) => !sanityNames.includes(n))
    expect(hiddenOnly.length).toBeGreaterThan(0)
    for (const name of hiddenOnly) {
      expect(await h.storage.exists(inferredPredictionKey(submission.storagePrefix, hiddenEval.id, name))).toBe(true)
      const res = await api.json(alice, 'GET', `/api/v1/submissions/${submissionId}/canary/${name}/preview.png`)
      expect(res.status).toBe(404)
      expect(res.headers.get('content-type')).not.toBe('image/png')
    }
    for (const trick of ['..%2F..%2Fmasks%2F1_t1', '%2E%2E', hiddenEval.id]) {
      expect((await api.json(alice, 'GET', `/api/v1/submissions/${submissionId}/canary/${trick}/preview.png`)).status).toBe(404)
    }
    // Only those who may see the submission see its pictures.
    expect((await api.json(bob, 'GET', `/api/v1/submissions/${submissionId}/canary/${sanityNames[0]}/preview.png`)).status).toBe(403)
    expect((await api.json(undefined, 'GET', `/api/v1/submissions/${submissionId}/canary/${sanityNames[0]}/preview.png`)).status).toBe(404)
    // Nothing else in storage is a drawn picture of a hidden series.
    const drawn = (await h.storage.list(`${submission.storagePrefix}/previews`)).filter((k) => k.endsWith('.png'))
    expect(drawn.length).toBe(sanityNames.length)
    expect(drawn.filter((k) => k.includes(hiddenEval.id))).toEqual([])
  })

  it("shows the pictures on the participant's submission page", async () => {
    const browser = await launchBrowser()
    try {
      const page = await browser.page()
      await page.goto(`${h.url}/signin`)
      await page.getByLabel('API token').fill(alice)
      await page.getByRole('button', { name: 'Sign in' }).click()
      await page.getByText('Signed in as alice').waitFor()
      await page.goto(`${h.url}/submissions/${submissionId}`)
      const img = page.getByRole('img', { name: new RegExp(`sanity case ${sanityNames[0]}`) })
      await img.waitFor()
      await page.waitForFunction(
        (el) =>
          (el as unknown as { complete: boolean; naturalWidth: number }).complete &&
          (el as unknown as { naturalWidth: number }).naturalWidth > 0,
        await img.elementHandle(),
      )
      expect(await seriousViolations(page)).toEqual([])
      expect(browser.errors).toEqual([])
    } finally {
      await browser.close()
    }
  })
})
