/**
 * Finding 3, scoring side: a valid prediction of 65,535 labels of two voxels each at
 * opposite corners of a 17x214x214 series made the scorer hold one bit mask per label over
 * its bounding box: 4.4 GB and minutes for one series, in a thread without memory limit.
 * The API now refuses such an upload (image-bombs.int.test.ts); this test puts the
 * prediction straight into storage and the database, as a file that got past an older API
 * would be, and runs it through the real worker: real Redis queues, PGlite, scoring thread
 * and scorer. Under the default MAX_PREDICTION_LABELS the series fails as an input fault
 * with a clear message; with the cap lifted the series is scored, and the process's peak
 * RSS stays within 512 MB of what it was before.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { readFile, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { Queue } from 'bullmq'
import { Redis } from 'ioredis'
import { pino } from 'pino'
import { addEvaluationJob, QUEUE_NAMES, queueName } from '@spider-bench/contracts'
import { scoreImages, writeImage, type Image3D } from '@spider-bench/scoring'
import { generateSeries } from '@spider-bench/synth'
import { startWorkers, type RunningWorkers, type WorkerConfig } from '@spider-bench/worker'
import { deleteQueueKeys, openTestEnv, type TestEnv } from '../../apps/worker/src/testing/databases.ts'
import { seedPhase, type SeededPhase } from '../../apps/worker/src/testing/fixtures.ts'
import { labelBombMask, SERIES_SIZE } from './attacks.ts'

const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379'
const SERIES = '1_t1'
const LABELS = 65_535

describe('a prediction of 65,535 labels in the worker (finding 3)', () => {
  let env: TestEnv
  let phase: SeededPhase
  let connection: Redis
  let evaluations: Queue
  let truth: Image3D
  let bomb: Image3D
  let workers: RunningWorkers | null = null
  let peakBefore = 0
  const files = () => join(env.dir, 'files')

  beforeAll(async () => {
    env = await openTestEnv('pglite')
    // A realistic reference of the finding's size (synthetic study 1, T1, as in bench:score).
    truth = generateSeries(1, 1, 't1', 'realistic').mask
    expect(truth.size).toEqual(SERIES_SIZE)
    bomb = { ...truth, componentType: 'uint16', data: labelBombMask(truth.size, LABELS).data }
    await mkdir(join(files(), 'masks'), { recursive: true })
    await writeImage(truth, join(files(), 'masks', `${SERIES}.mha`))
    await writeImage(bomb, join(files(), 'bomb.mha'))
    phase = await seedPhase(env.db.prisma, env.storage, files(), { names: [SERIES] })
    connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null })
    evaluations = new Queue(queueName(QUEUE_NAMES.evaluation, env.queuePrefix), { connection })
    // Scoring runs in a thread of this process: the process's peak RSS bounds the scorer's.
    peakBefore = process.resourceUsage().maxRSS * 1024
  })

  afterAll(async () => {
    await workers?.close()
    await evaluations?.close()
    connection?.disconnect()
    if (env) await deleteQueueKeys(REDIS_URL, env.queuePrefix)
    await env?.close()
  })

  async function start(config: Partial<WorkerConfig>): Promise<RunningWorkers> {
    await workers?.close()
    workers = await startWorkers({
      prisma: env.db.prisma,
      storage: env.storage,
      redisUrl: REDIS_URL,
      queuePrefix: env.queuePrefix,
      logger: pino({ level: 'silent' }),
      config: { concurrency: 1, reconcileIntervalMs: 3_600_000, reconcileGraceMs: 3_600_000, ...config },
    })
    return workers
  }

  /** A participant's predictions submission holding the bomb, stored as an accepted upload would be. */
  async function submitBomb(participant: string): Promise<{ submissionId: string; evaluationId: string }> {
    const prisma = env.db.prisma
    const user = await prisma.user.create({ data: { name: participant, role: 'participant' } })
    const submission = await prisma.submission.create({
      data: { phaseId: phase.phaseId, participantId: user.id, kind: 'predictions', storagePrefix: 'pending' },
    })
    const stored = await env.storage.put(
      `submissions/${submission.id}/predictions/${SERIES}.mha`,
      await readFile(join(files(), 'bomb.mha')),
    )
    await prisma.submission.update({
      where: { id: submission.id },
      data: { storagePrefix: `submissions/${submission.id}`, files: { [SERIES]: stored.key } },
    })
    const evaluation = await prisma.evaluation.create({
      data: { submissionId: submission.id, testSetId: phase.testSetId, profile: 'spider', scorerVersion: 'test' },
    })
    await addEvaluationJob(evaluations, evaluation.id)
    return { submissionId: submission.id, evaluationId: evaluation.id }
  }

  async function finished(evaluationId: string) {
    const until = Date.now() + 150_000
    for (;;) {
      const row = await env.db.prisma.evaluation.findUniqueOrThrow({ where: { id: evaluationId } })
      if (row.status === 'succeeded' || row.status === 'failed') return row
      if (Date.now() > until) throw new Error(`evaluation ${evaluationId} still ${row.status}`)
      await new Promise((r) => setTimeout(r, 100))
    }
  }

  it('fails the series as an input fault naming the label count and the cap (MAX_PREDICTION_LABELS default)', async () => {
    await start({})
    const { submissionId, evaluationId } = await submitBomb('mallory')
    const row = await finished(evaluationId)
    const message =
      `prediction for series ${SERIES} could not be scored: ${SERIES}.mha: ${LABELS} distinct labels, at most 1000 are accepted ` +
      '(SPIDER masks have fewer than 100 structures); fix the file and submit again'
    expect([row.status, row.errorKind, row.error]).toEqual(['failed', 'input', message])
    const submission = await env.db.prisma.submission.findUniqueOrThrow({ where: { id: submissionId } })
    expect([submission.status, submission.countsTowardLimit]).toEqual(['failed', true])
    // No server path reaches the participant.
    expect(row.error).not.toContain(env.dir)
  })

  it('scores it with bounded memory when the cap is lifted, exactly as the scorer does in process', async () => {
    await start({ maxPredictionLabels: LABELS })
    const { evaluationId } = await submitBomb('trudy')
    const row = await finished(evaluationId)
    const peakGrowth = process.resourceUsage().maxRSS * 1024 - peakBefore
    expect([row.status, row.error]).toEqual(['succeeded', null])
    expect(peakGrowth).toBeLessThan(512 * 2 ** 20)
    const [stored] = await env.db.prisma.seriesResult.findMany({ where: { evaluationId } })
    const expected = scoreImages(truth, bomb, 'spider', SERIES)
    expect(stored.metrics).toEqual(JSON.parse(JSON.stringify(expected.metrics)))
    expect(stored.structures).toEqual(JSON.parse(JSON.stringify(expected.structures)))
    // Every label the reference did not match is a false positive.
    const matched = new Set(expected.structures.map((s) => s.matchedLabel).filter((v) => v !== null))
    expect(expected.metrics.FalsePositiveStructures).toBe(LABELS - matched.size)
  })
})
