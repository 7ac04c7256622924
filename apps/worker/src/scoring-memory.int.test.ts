/**
 * A scoring thread stopped by its heap limit (SCORING_THREAD_MEMORY_MB) while scoring a
 * prediction is an input fault: the series fails at once with a message for the participant
 * and the submission counts, where any other death of a thread is a system fault that
 * BullMQ retries. The scorer's memory is bounded for every valid input, so no real
 * prediction reaches the limit any more: the threads here run a stand-in body that fills a
 * real V8 heap under a real resource limit, in the real worker (Redis queues, PGlite).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { join } from 'node:path'
import { Queue } from 'bullmq'
import { Redis } from 'ioredis'
import { pino } from 'pino'
import { addEvaluationJob, QUEUE_NAMES, queueName } from '@spider-bench/contracts'
import { startWorkers, type RunningWorkers } from './index.ts'
import { scoreSeriesJobId } from './job-ids.ts'
import { deleteQueueKeys, openTestEnv, type TestEnv } from './testing/databases.ts'
import { seedPhase, seedSubmission, writeFixtureFiles } from './testing/fixtures.ts'

const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379'
// Fills its heap on a series named "oom", exits with code 3 on one named "crash".
const STAND_IN = new URL('./processors/test-thread.fixture.ts', import.meta.url).href
// Fills its heap while loading.
const OOM_ON_LOAD = new URL('./processors/test-thread-oom-load.fixture.ts', import.meta.url).href

describe('a scoring thread that reaches its memory limit', () => {
  let env: TestEnv
  let connection: Redis
  let evaluations: Queue
  let scoreSeries: Queue
  let workers: RunningWorkers

  beforeAll(async () => {
    env = await openTestEnv('pglite')
    await writeFixtureFiles(join(env.dir, 'files'), ['perfect'], ['oom', 'crash'])
    connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null })
    evaluations = new Queue(queueName(QUEUE_NAMES.evaluation, env.queuePrefix), { connection })
    scoreSeries = new Queue(queueName(QUEUE_NAMES.scoreSeries, env.queuePrefix), { connection })
    workers = await startWorkers({
      prisma: env.db.prisma,
      storage: env.storage,
      redisUrl: REDIS_URL,
      queuePrefix: env.queuePrefix,
      logger: pino({ level: 'silent' }),
      scoringThreadModule: STAND_IN,
      config: { concurrency: 1, scoringThreadMemoryMb: 64, reconcileIntervalMs: 3_600_000, reconcileGraceMs: 3_600_000 },
    })
  })

  afterAll(async () => {
    await workers?.close()
    await evaluations?.close()
    await scoreSeries?.close()
    connection?.disconnect()
    if (env) await deleteQueueKeys(REDIS_URL, env.queuePrefix)
    await env?.close()
  })

  async function evaluate(series: string, participant: string) {
    const phase = await seedPhase(env.db.prisma, env.storage, join(env.dir, 'files'), { names: [series] })
    const ids = await seedSubmission(env.db.prisma, env.storage, join(env.dir, 'files'), phase, participant, 'perfect')
    await addEvaluationJob(evaluations, ids.evaluationId)
    return { ...ids, jobId: scoreSeriesJobId(ids.evaluationId, phase.series[0].id) }
  }

  async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
    const deadline = Date.now() + 60_000
    for (;;) {
      const value = await read()
      if (done(value)) return value
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`)
      await new Promise((r) => setTimeout(r, 100))
    }
  }

  it('fails the series as an input fault at the first attempt; a crashed thread is retried instead', async () => {
    const oom = await evaluate('oom', 'olive')
    const row = await until(
      'the evaluation',
      () => env.db.prisma.evaluation.findUniqueOrThrow({ where: { id: oom.evaluationId } }),
      (r) => r.status !== 'queued' && r.status !== 'running',
    )
    expect([row.status, row.errorKind, row.error]).toEqual([
      'failed',
      'input',
      "prediction for series oom could not be scored: scoring it exceeded the scoring thread's memory limit (64 MB); " +
        'a prediction must be a label mask like the reference (SPIDER masks have fewer than 100 structures); fix the file and submit again',
    ])
    const submission = await env.db.prisma.submission.findUniqueOrThrow({ where: { id: oom.submissionId } })
    expect([submission.status, submission.countsTowardLimit]).toEqual(['failed', true])
    const oomJob = await scoreSeries.getJob(oom.jobId)
    expect([await oomJob?.getState(), oomJob?.attemptsMade]).toEqual(['failed', 1])
    expect(oomJob?.opts.attempts).toBeGreaterThan(1)

    // Same pool, fresh thread: a thread that dies otherwise is a system fault, queued again.
    const crash = await evaluate('crash', 'carl')
    const retried = await until(
      'the retry',
      () => scoreSeries.getJob(crash.jobId),
      (job) => (job?.attemptsMade ?? 0) >= 1,
    )
    expect(['delayed', 'waiting', 'active']).toContain(await retried?.getState())
    expect((await env.db.prisma.evaluation.findUniqueOrThrow({ where: { id: crash.evaluationId } })).status).toBe('running')
  })

  it('does not start when a thread cannot load the scorer within the limit (a setting, not a series fault)', async () => {
    const start = startWorkers({
      prisma: env.db.prisma,
      storage: env.storage,
      redisUrl: REDIS_URL,
      queuePrefix: `${env.queuePrefix}-x`,
      logger: pino({ level: 'silent' }),
      scoringThreadModule: OOM_ON_LOAD,
      config: { concurrency: 1, scoringThreadMemoryMb: 64, reconcileIntervalMs: 3_600_000 },
    })
    await expect(start).rejects.toThrow('a scoring thread ran out of memory while loading the scorer: its 64 MB limit is too small')
  })
})
