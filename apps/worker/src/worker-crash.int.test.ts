import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Queue } from 'bullmq'
import { Redis } from 'ioredis'
import { addEvaluationJob, QUEUE_NAMES, queueName } from '@spider-bench/contracts'
import { deleteQueueKeys, openTestEnv, type TestEnv } from './testing/databases.ts'
import { seedPhase, seedSubmission, writeFixtureFiles } from './testing/fixtures.ts'

const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379'
const BIN = fileURLToPath(new URL('../../../bin/spider-bench.js', import.meta.url))
const NAMES = Array.from({ length: 12 }, (_, i) => `${i + 1}_t2`)

// The embedded database belongs to one process, so separate worker processes need Postgres.
describe('a worker killed with SIGKILL mid-evaluation (postgres)', () => {
  let env: TestEnv
  let connection: Redis
  const children: ChildProcess[] = []

  function startWorker(): ChildProcess {
    const child = spawn(process.execPath, [BIN, 'worker', '--concurrency', '1'], {
      env: {
        ...process.env,
        DATABASE_URL: env.databaseUrl as string,
        DATA_DIR: env.dir,
        REDIS_URL,
        SPIDER_QUEUE_PREFIX: env.queuePrefix,
        // Short locks so that the restarted worker takes the killed one's job over quickly.
        WORKER_LOCK_MS: '2000',
        RECONCILE_GRACE_MS: '3600000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    children.push(child)
    return child
  }

  beforeAll(async () => {
    env = await openTestEnv('postgres')
    connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null })
  })

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
    connection?.disconnect()
    if (env) await deleteQueueKeys(REDIS_URL, env.queuePrefix)
    await env?.close()
  })

  it('loses nothing and leaves no duplicate rows after a restart', async () => {
    const files = join(env.dir, 'files')
    await writeFixtureFiles(files, ['shift1'], NAMES, 6)
    const phase = await seedPhase(env.db.prisma, env.storage, files, { names: NAMES })
    const { evaluationId } = await seedSubmission(env.db.prisma, env.storage, files, phase, 'kim', 'shift1')
    const queue = new Queue(queueName(QUEUE_NAMES.evaluation, env.queuePrefix), { connection })
    await addEvaluationJob(queue, evaluationId)
    await queue.close()

    const first = startWorker()
    const prisma = env.db.prisma
    const until = Date.now() + 120_000
    let before: Array<{ id: string; seriesName: string }> = []
    while (before.length < 2) {
      if (Date.now() > until) throw new Error('the worker stored no results in time')
      await new Promise((r) => setTimeout(r, 50))
      before = await prisma.seriesResult.findMany({ where: { evaluationId }, select: { id: true, seriesName: true } })
    }
    first.kill('SIGKILL')
    await new Promise((r) => first.once('exit', r))
    const mid = await prisma.evaluation.findUniqueOrThrow({ where: { id: evaluationId } })
    expect(mid.status).toBe('running')
    expect(mid.progressDone).toBeLessThan(NAMES.length)

    const second = startWorker()
    let evaluation = mid
    while (evaluation.status === 'running') {
      if (Date.now() > until)
        throw new Error(`evaluation still running after restart (${evaluation.progressDone}/${evaluation.progressTotal})`)
      await new Promise((r) => setTimeout(r, 200))
      evaluation = await prisma.evaluation.findUniqueOrThrow({ where: { id: evaluationId } })
    }
    expect([evaluation.status, evaluation.error]).toEqual(['succeeded', null])
    const after = await prisma.seriesResult.findMany({ where: { evaluationId }, select: { id: true, seriesName: true } })
    expect(after.map((r) => r.seriesName).sort()).toEqual([...NAMES].sort())
    // Rows stored before the kill were kept (same ids), not inserted again.
    for (const row of before) expect(after).toContainEqual(row)
    // The leaderboard follows right after the evaluation is stored.
    while ((await prisma.leaderboardSnapshot.count({ where: { phaseId: phase.phaseId } })) === 0) {
      if (Date.now() > until) throw new Error('no leaderboard snapshot after the evaluation')
      await new Promise((r) => setTimeout(r, 100))
    }

    // SIGTERM: the worker stops cleanly.
    second.kill('SIGTERM')
    const code = await new Promise((r) => second.once('exit', (c) => r(c)))
    expect(code).toBe(0)
  })
})
