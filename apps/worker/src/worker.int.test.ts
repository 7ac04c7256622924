import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { join } from 'node:path'
import { Queue } from 'bullmq'
import { Redis } from 'ioredis'
import { addEvaluationJob, QUEUE_NAMES, queueName } from '@spider-bench/contracts'
import { scoreDirectories, type ResultDocument } from '@spider-bench/scoring'
import { recomputeLeaderboard } from '@spider-bench/evaluation'
import { startWorkers, type RunningWorkers } from './index.ts'
import { deleteQueueKeys, openTestEnv, type Backend, type TestEnv } from './testing/databases.ts'
import { seedPhase, seedSubmission, writeFixtureFiles, SERIES_NAMES, type Quality, type SeededPhase } from './testing/fixtures.ts'

const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379'

interface LeaderboardRowJson {
  rank: number
  participant: string
  submissionId: string
  rankScore: number | null
  metrics: Record<string, number | null>
}

for (const backend of ['postgres', 'pglite'] as Backend[]) {
  describe(`evaluation worker (${backend})`, () => {
    let env: TestEnv
    let phase: SeededPhase
    let workers: RunningWorkers
    let connection: Redis
    let evaluationQueue: Queue
    const files = () => join(env.dir, 'files')
    const expected = new Map<Quality, ResultDocument>()

    beforeAll(async () => {
      env = await openTestEnv(backend)
      await writeFixtureFiles(files(), ['perfect', 'shift1', 'shift2', 'drop'])
      phase = await seedPhase(env.db.prisma, env.storage, files())
      for (const q of ['perfect', 'shift1', 'shift2', 'drop'] as Quality[]) {
        expected.set(
          q,
          (await scoreDirectories({ truthDir: join(files(), 'masks'), predDir: join(files(), `pred-${q}`), threads: 1 })).document,
        )
      }
      connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null })
      evaluationQueue = new Queue(queueName(QUEUE_NAMES.evaluation, env.queuePrefix), { connection })
      workers = await startWorkers({
        prisma: env.db.prisma,
        storage: env.storage,
        redisUrl: REDIS_URL,
        queuePrefix: env.queuePrefix,
        config: { concurrency: 2, reconcileIntervalMs: 3_600_000, reconcileGraceMs: 3_600_000 },
      })
    })

    afterAll(async () => {
      await workers?.close()
      await evaluationQueue?.close()
      connection?.disconnect()
      if (env) await deleteQueueKeys(REDIS_URL, env.queuePrefix)
      await env?.close()
    })

    async function waitFinished(evaluationIds: string[], timeoutMs = 120_000) {
      const until = Date.now() + timeoutMs
      for (;;) {
        const rows = await env.db.prisma.evaluation.findMany({ where: { id: { in: evaluationIds } } })
        if (rows.length === evaluationIds.length && rows.every((r) => ['succeeded', 'failed'].includes(r.status))) return rows
        if (Date.now() > until) throw new Error(`evaluations not finished: ${rows.map((r) => `${r.id}=${r.status}`).join(', ')}`)
        await new Promise((r) => setTimeout(r, 200))
      }
    }

    const latestSnapshot = () =>
      env.db.prisma.leaderboardSnapshot.findFirst({ where: { phaseId: phase.phaseId }, orderBy: { version: 'desc' } })

    it('scores the submissions of several participants; every stored and leaderboard value equals spider-bench score', async () => {
      const t0 = Date.UTC(2026, 0, 1)
      const subs = {
        alice: await seedSubmission(env.db.prisma, env.storage, files(), phase, `alice-${backend}`, 'perfect', new Date(t0)),
        bob1: await seedSubmission(env.db.prisma, env.storage, files(), phase, `bob-${backend}`, 'shift1', new Date(t0 + 1000)),
        bob2: await seedSubmission(env.db.prisma, env.storage, files(), phase, `bob-${backend}`, 'shift2', new Date(t0 + 2000)),
        carol: await seedSubmission(env.db.prisma, env.storage, files(), phase, `carol-${backend}`, 'drop', new Date(t0 + 3000)),
      }
      const quality: Record<keyof typeof subs, Quality> = { alice: 'perfect', bob1: 'shift1', bob2: 'shift2', carol: 'drop' }
      for (const s of Object.values(subs)) await addEvaluationJob(evaluationQueue, s.evaluationId)
      const rows = await waitFinished(Object.values(subs).map((s) => s.evaluationId))
      expect(rows.map((r) => [r.status, r.error])).toEqual(rows.map(() => ['succeeded', null]))

      for (const [who, s] of Object.entries(subs) as Array<[keyof typeof subs, (typeof subs)['alice']]>) {
        const doc = expected.get(quality[who]) as ResultDocument
        const evaluation = await env.db.prisma.evaluation.findUniqueOrThrow({ where: { id: s.evaluationId } })
        expect(evaluation.aggregates).toEqual(JSON.parse(JSON.stringify(doc.aggregates)))
        expect(evaluation.bySequence).toEqual(JSON.parse(JSON.stringify(doc.bySequence)))
        expect([evaluation.progressDone, evaluation.progressTotal]).toEqual([SERIES_NAMES.length, SERIES_NAMES.length])
        const results = await env.db.prisma.seriesResult.findMany({ where: { evaluationId: s.evaluationId } })
        expect(results.map((r) => r.seriesName).sort()).toEqual([...SERIES_NAMES].sort())
        for (const r of results) {
          const series = doc.series.find((x) => x.name === r.seriesName)
          expect(r.metrics).toEqual(JSON.parse(JSON.stringify(series?.metrics)))
          expect(r.structures).toEqual(JSON.parse(JSON.stringify(series?.structures)))
        }
        const submission = await env.db.prisma.submission.findUniqueOrThrow({ where: { id: s.submissionId } })
        expect(submission.status).toBe('succeeded')
      }

      // One snapshot per finished evaluation; the last one ranks everybody's best submission.
      const snapshot = await latestSnapshot()
      expect(snapshot?.version).toBe(4)
      expect(snapshot?.method).toBe('mean-position')
      expect(snapshot?.entries).toBe('best')
      const board = snapshot?.rows as unknown as LeaderboardRowJson[]
      // carol's missed vertebra lowers detection, not the Dice or ASD of detected vertebrae
      // (the ranking metrics here): she ties with alice; bob's best is his shift-by-1.
      expect(board.map((r) => [r.rank, r.submissionId, r.rankScore])).toEqual([
        [1, subs.alice.submissionId, 1],
        [1, subs.carol.submissionId, 1],
        [3, subs.bob1.submissionId, 3],
      ])
      for (const row of board) {
        const who = (Object.keys(subs) as Array<keyof typeof subs>).find(
          (k) => subs[k].submissionId === row.submissionId,
        ) as keyof typeof subs
        const doc = expected.get(quality[who]) as ResultDocument
        expect(Object.keys(row.metrics).sort()).toEqual(Object.keys(doc.aggregates).sort())
        for (const [key, value] of Object.entries(row.metrics)) expect(value).toBe(doc.aggregates[key].mean)
      }
    })

    it('recomputes the leaderboard under new ranking settings as a new snapshot; old ones stay', async () => {
      const before = await latestSnapshot()
      await env.db.prisma.phase.update({
        where: { id: phase.phaseId },
        data: { rankingMethod: 'absolute', entries: 'all', rankingMetrics: [{ key: 'FalsePositiveStructures', order: 'asc' }] },
      })
      const summary = await recomputeLeaderboard(env.db.prisma, phase.phaseId)
      expect(summary.version).toBe((before?.version ?? 0) + 1)
      const after = await latestSnapshot()
      expect([after?.method, after?.entries, after?.rows && (after.rows as unknown[]).length]).toEqual(['absolute', 'all', 4])
      expect(after?.columns).toEqual([{ key: 'FalsePositiveStructures', order: 'asc' }])
      expect(await env.db.prisma.leaderboardSnapshot.findUnique({ where: { id: before?.id as string } })).toMatchObject({
        version: before?.version,
        method: 'mean-position',
      })
    })

    it('re-enqueues evaluations that Redis lost (queued and half-done running ones), without duplicate rows', async () => {
      const a = await seedSubmission(env.db.prisma, env.storage, files(), phase, `dave-${backend}`, 'shift1')
      const b = await seedSubmission(env.db.prisma, env.storage, files(), phase, `erin-${backend}`, 'perfect')
      // b ran halfway before Redis lost everything: running, one series already stored.
      const done = (expected.get('perfect') as ResultDocument).series[0]
      await env.db.prisma.evaluation.update({
        where: { id: b.evaluationId },
        data: { status: 'running', progressDone: 1, progressTotal: 5 },
      })
      await env.db.prisma.seriesResult.create({
        data: {
          evaluationId: b.evaluationId,
          seriesName: done.name,
          sequence: done.sequence,
          status: done.status,
          metrics: done.metrics,
          structures: JSON.parse(JSON.stringify(done.structures)),
        },
      })
      // a was accepted but its job is gone (enqueued, then the queue keys were flushed).
      await addEvaluationJob(evaluationQueue, a.evaluationId, { delay: 60_000 })
      expect(await deleteQueueKeys(REDIS_URL, env.queuePrefix)).toBeGreaterThan(0)
      const report = await workers.reconcile(0)
      expect(report.requeued.sort()).toEqual([a.evaluationId, b.evaluationId].sort())
      const rows = await waitFinished([a.evaluationId, b.evaluationId])
      expect(rows.map((r) => r.status)).toEqual(['succeeded', 'succeeded'])
      for (const id of [a.evaluationId, b.evaluationId])
        expect(await env.db.prisma.seriesResult.count({ where: { evaluationId: id } })).toBe(SERIES_NAMES.length)
      // A second pass finds nothing to do.
      expect((await workers.reconcile(0)).requeued).toEqual([])
    })

    it('fails a submission whose uploaded prediction cannot be read, with a message naming the series (input fault)', async () => {
      const s = await seedSubmission(env.db.prisma, env.storage, files(), phase, `frank-${backend}`, 'perfect')
      await env.storage.put(`submissions/${s.submissionId}/predictions/2_t1.mha`, 'not an image')
      await addEvaluationJob(evaluationQueue, s.evaluationId)
      const [row] = await waitFinished([s.evaluationId])
      expect(row.status).toBe('failed')
      expect([row.errorKind, row.error]).toEqual(['input', row.error])
      expect(row.error).toMatch(/^prediction for series 2_t1 could not be scored: .*2_t1\.mha.*; fix the file and submit again$/)
      const submission = await env.db.prisma.submission.findUniqueOrThrow({ where: { id: s.submissionId } })
      expect([submission.status, submission.error, submission.countsTowardLimit]).toEqual(['failed', row.error, true])
    })
  })
}
