import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Queue } from 'bullmq'
import { Redis } from 'ioredis'
import { addEvaluationJob, QUEUE_NAMES, queueName } from '@spider-bench/contracts'
import type { Prisma } from '@spider-bench/db'
import { nanModel, cachedExampleAlgorithm } from '@spider-bench/inference/testing'
import type { AlgorithmConfig } from '@spider-bench/inference'
import { synthesize } from '@spider-bench/synth'
import { startWorkers, type RunningWorkers } from '../index.ts'
import { deleteQueueKeys, openTestEnv, type TestEnv } from '../testing/databases.ts'

const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379'

const NAN_CONFIG: AlgorithmConfig = {
  schemaVersion: 1,
  input: { channels: ['image'], spacing: [4, 1.25, 1.25] },
  normalization: { kind: 'z-score' },
  slidingWindow: { patchSize: [16, 64, 64], overlap: 0.25, blending: 'gaussian' },
  output: { kind: 'logits', channels: [{ class: 'background' }, { class: 'vertebra' }] },
  executionProviders: ['cpu'],
}

/**
 * End to end on CPU with real onnxruntime-node: algorithm submissions go through the
 * evaluation flow, the inference queue (worker --inference), storage and the scorer.
 */
describe('inference worker (postgres, realistic synthetic test set)', () => {
  let env: TestEnv
  let workers: RunningWorkers
  let connection: Redis
  let evaluationQueue: Queue
  let phaseId = ''
  const testSets: Record<'hidden' | 'public', string> = { hidden: '', public: '' }

  beforeAll(async () => {
    env = await openTestEnv('postgres')
    const example = await cachedExampleAlgorithm()
    // Seed 1: the generator's default, never seen by the example model (trained on seed 9001).
    const synth = await synthesize({ out: join(env.dir, 'synth'), studies: 2, seed: 1, size: 'realistic' })
    const prisma = env.db.prisma
    const owner = await prisma.user.create({ data: { name: `org-${Date.now()}`, role: 'organiser' } })
    const challenge = await prisma.challenge.create({
      data: { slug: `inf-${Date.now().toString(36)}`, title: 'Inference', ownerId: owner.id },
    })
    const phase = await prisma.phase.create({
      data: {
        challengeId: challenge.id,
        slug: 'algorithms',
        title: 'Algorithms',
        scoringProfile: 'spider',
        submissionKinds: ['algorithm'],
        rankingMethod: 'mean-position',
        rankingMetrics: [{ key: 'DiceVertebrae', order: 'desc' }] as Prisma.InputJsonValue,
        entries: 'best',
        perSeriesVisibility: 'owner',
      },
    })
    phaseId = phase.id
    for (const visibility of ['hidden', 'public'] as const) {
      // The public (canary) set holds one series, the hidden set all of them.
      const series = visibility === 'public' ? synth.series.slice(0, 1) : synth.series
      const testSet = await prisma.testSetVersion.create({
        data: { phaseId, version: 1, public: visibility === 'public', seriesCount: series.length },
      })
      testSets[visibility] = testSet.id
      for (const s of series) {
        const image = await env.storage.put(
          `testsets/${testSet.id}/images/${s.name}.mha`,
          await readFile(join(env.dir, 'synth', 'images', `${s.name}.mha`)),
        )
        const mask = await env.storage.put(
          `testsets/${testSet.id}/masks/${s.name}.mha`,
          await readFile(join(env.dir, 'synth', 'masks', `${s.name}.mha`)),
        )
        await prisma.testSeries.create({
          data: {
            testSetId: testSet.id,
            name: s.name,
            sequence: s.sequence,
            imageKey: image.key,
            imageSha256: image.sha256,
            maskKey: mask.key,
            maskSha256: mask.sha256,
            size: [...s.size],
            spacing: [...s.spacing],
            origin: [0, 0, 0],
            direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
            labels: [...s.labels],
          },
        })
      }
    }
    await env.storage.put('models/example/model.onnx', await readFile(example.modelPath))
    await env.storage.put('models/example/config.json', await readFile(example.configPath))
    await env.storage.put('models/nan/model.onnx', nanModel())
    connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null })
    evaluationQueue = new Queue(queueName(QUEUE_NAMES.evaluation, env.queuePrefix), { connection })
    workers = await startWorkers({
      prisma,
      storage: env.storage,
      redisUrl: REDIS_URL,
      queuePrefix: env.queuePrefix,
      inference: true,
      config: { concurrency: 2, reconcileIntervalMs: 3_600_000, reconcileGraceMs: 3_600_000 },
    })
  }, 1_200_000)

  afterAll(async () => {
    await workers?.close()
    await evaluationQueue?.close()
    connection?.disconnect()
    if (env) await deleteQueueKeys(REDIS_URL, env.queuePrefix)
    await env?.close()
  })

  async function submit(model: 'example' | 'nan', config: unknown, on: 'hidden' | 'public'): Promise<string> {
    const prisma = env.db.prisma
    const user = await prisma.user.create({ data: { name: `p-${Date.now()}-${Math.random()}`, role: 'participant' } })
    const submission = await prisma.submission.create({
      data: {
        phaseId,
        participantId: user.id,
        kind: 'algorithm',
        storagePrefix: `models/${model}`,
        files: { model: `models/${model}/model.onnx`, config: `models/${model}/config.json` },
        config: config as Prisma.InputJsonValue,
      },
    })
    const evaluation = await prisma.evaluation.create({
      data: { submissionId: submission.id, testSetId: testSets[on], profile: 'spider', scorerVersion: 'test' },
    })
    await addEvaluationJob(evaluationQueue, evaluation.id)
    return evaluation.id
  }

  async function waitFinished(evaluationId: string, timeoutMs = 900_000) {
    const until = Date.now() + timeoutMs
    for (;;) {
      const row = await env.db.prisma.evaluation.findUniqueOrThrow({ where: { id: evaluationId } })
      if (['succeeded', 'failed'].includes(row.status)) return row
      if (Date.now() > until) throw new Error(`evaluation ${evaluationId} still ${row.status}`)
      await new Promise((r) => setTimeout(r, 500))
    }
  }

  it('runs the example algorithm on every hidden series and scores its masks like uploaded predictions', async () => {
    const config = JSON.parse(await readFile((await cachedExampleAlgorithm()).configPath, 'utf8'))
    const evaluationId = await submit('example', config, 'hidden')
    const row = await waitFinished(evaluationId)
    expect([row.status, row.error]).toEqual(['succeeded', null])
    const aggregates = row.aggregates as Record<string, { mean: number | null; count: number }>
    const results = await env.db.prisma.seriesResult.findMany({ where: { evaluationId } })
    expect(results.length).toBe(row.progressTotal)
    expect(results.every((r) => r.status === 'scored')).toBe(true)
    const figures = Object.fromEntries(
      ['DiceVertebrae', 'DiceDiscs', 'DiceSpinalCanal', 'DetectionVertebrae', 'DetectionDiscs', 'FalsePositiveStructures'].map((k) => [
        k,
        aggregates[k]?.mean,
      ]),
    )
    console.log(`example algorithm on ${results.length} hidden synthetic series: ${JSON.stringify(figures)}`)
    expect(aggregates.DiceVertebrae.mean).toBeGreaterThan(0.75)
    expect(aggregates.DiceDiscs.mean).toBeGreaterThan(0.8)
    expect(aggregates.DiceSpinalCanal.mean).toBeGreaterThan(0.8)
    expect(aggregates.DetectionVertebrae.mean).toBeGreaterThanOrEqual(0.95)
    expect(aggregates.DetectionDiscs.mean).toBeGreaterThanOrEqual(0.95)
    // The predicted masks are in storage, under the submission's prefix.
    expect((await env.storage.list(`models/example/inferred/${evaluationId}`)).length).toBe(results.length)
  }, 1_200_000)

  it('reports only the safe error code for a hidden series, the full message for a public (canary) one', async () => {
    const hidden = await waitFinished(await submit('nan', NAN_CONFIG, 'hidden'))
    expect(hidden.status).toBe('failed')
    expect(hidden.errorKind).toBe('input')
    expect(hidden.error).toBe(
      'algorithm failed on a hidden test series: non-finite-output: the model output contains NaN or infinite values',
    )
    const canary = await waitFinished(await submit('nan', NAN_CONFIG, 'public'))
    expect(canary.status).toBe('failed')
    expect(canary.error).toMatch(
      /^algorithm failed on public series \S+: non-finite-output: model output value NaN at flat index \d+ of a patch$/,
    )
    // A failed canary stops there: the hidden test set is never touched, and the participant
    // reads the full message on the submission.
    const submission = await env.db.prisma.submission.findFirstOrThrow({
      where: { evaluations: { some: { id: canary.id } } },
      include: { evaluations: true },
    })
    expect(submission.evaluations.map((e) => e.id)).toEqual([canary.id])
    expect([submission.status, submission.error]).toEqual(['failed', canary.error])
  }, 600_000)

  it('moves on to the hidden test set once the canary run succeeds; only the hidden run is ranked', async () => {
    const config = JSON.parse(await readFile((await cachedExampleAlgorithm()).configPath, 'utf8'))
    const canaryId = await submit('example', config, 'public')
    const canary = await waitFinished(canaryId)
    expect([canary.status, canary.error]).toEqual(['succeeded', null])
    const submissionId = canary.submissionId
    let hidden = null
    for (const until = Date.now() + 900_000; Date.now() < until && !hidden;) {
      hidden = await env.db.prisma.evaluation.findFirst({ where: { submissionId, testSetId: testSets.hidden } })
      if (!hidden) await new Promise((r) => setTimeout(r, 250))
    }
    expect(hidden).not.toBeNull()
    const done = await waitFinished(hidden!.id)
    expect(done.status).toBe('succeeded')
    expect(done.progressTotal).toBe(await env.db.prisma.testSeries.count({ where: { testSetId: testSets.hidden } }))
    const submission = await env.db.prisma.submission.findUniqueOrThrow({ where: { id: submissionId } })
    expect(submission.status).toBe('succeeded')
    // The newest snapshot ranks the hidden run's aggregates, never the canary's.
    let row: { submissionId: string; metrics: Record<string, number | null> } | undefined
    for (const until = Date.now() + 60_000; Date.now() < until && !row;) {
      const snapshot = await env.db.prisma.leaderboardSnapshot.findFirst({ where: { phaseId }, orderBy: { version: 'desc' } })
      row = (snapshot?.rows as Array<{ submissionId: string; metrics: Record<string, number | null> }> | undefined)?.find(
        (r) => r.submissionId === submissionId,
      )
      if (!row) await new Promise((r) => setTimeout(r, 250))
    }
    const hiddenAggregates = done.aggregates as Record<string, { mean: number | null }>
    const canaryAggregates = canary.aggregates as Record<string, { mean: number | null }>
    expect(row?.metrics.DiceVertebrae).toBe(hiddenAggregates.DiceVertebrae.mean)
    expect(hiddenAggregates.DiceVertebrae.mean).not.toBe(canaryAggregates.DiceVertebrae.mean)
  }, 1_800_000)
})
