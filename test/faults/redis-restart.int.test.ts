/**
 * Fault: Redis restarts empty while evaluations run (no persistence: every job, flow and lock
 * is gone). The database is the source of truth: when its Redis connection comes back, the
 * worker reconciles at once (not on its timer, set to 10 minutes here so that it cannot be
 * what recovers) and enqueues again every evaluation Redis lost; rows already stored are kept.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest'
import { FaultBench, recordFigures, sleep, until, type Accepted } from './harness.ts'
import { checkInvariants } from './invariants.ts'

const OUTAGE_MS = 3000
/** What the issue asks for: the lost evaluations are back in the queues within this of Redis's return. */
const RECOVERY_LIMIT_MS = 15_000
const SETS = { a: 'dilate:1', b: 'erode:1', c: 'shift:1', d: 'noise:0.3', e: 'drop:vertebra', f: 'identity' }

describe('fault: Redis restarted empty during evaluations', () => {
  let bench: FaultBench

  beforeAll(async () => {
    bench = await FaultBench.start({ env: { RECONCILE_INTERVAL_MS: '600000' } })
    await bench.startApi()
  })
  afterAll(async () => {
    await bench?.close()
  })

  it('the worker re-enqueues the lost evaluations as soon as Redis is back; nothing is lost or duplicated', async () => {
    onTestFailed(() => {
      process.stderr.write(bench.logs())
    })
    const phase = await bench.setupPhase({ studies: 6, predictions: SETS })
    const accepted: Accepted[] = []
    for (const [i, set] of Object.keys(SETS).entries()) {
      await bench.user(`p${i}`, 'participant')
      accepted.push(await bench.submitPredictions(phase, `p${i}`, set))
    }
    await bench.startWorker({ concurrency: 1 })
    await until('the first stored series results', async () => (await bench.seriesRows()) >= 3, 60_000, 20)
    const ids = accepted.map((a) => a.id)
    const unfinished = await bench.unfinished(ids)
    expect(unfinished.length, 'evaluations must still be running when Redis goes down').toBeGreaterThan(0)
    const evaluations = (
      await bench.db.prisma.evaluation.findMany({ where: { submissionId: { in: unfinished } }, select: { id: true } })
    ).map((e) => e.id)

    const runId = async () => /run_id:(\w+)/.exec(await bench.redis.info('server'))?.[1]
    const before = await runId()
    const stopAt = Date.now()
    await bench.services.redis.stop()
    await sleep(OUTAGE_MS)
    await bench.services.redis.start()
    const backAt = Date.now()
    // A new server (started with --save '' and no AOF: empty).
    await until('the test client to reconnect', async () => bench.redis.status === 'ready', 30_000, 20)
    expect(await runId()).not.toBe(before)

    const rowsBack = await bench.seriesRows()
    // Recovered = every evaluation that had not finished is known to Redis again (or finished).
    const requeuedAt = await until(
      'the lost evaluations to be enqueued again',
      async () => {
        const open = (
          await bench.db.prisma.evaluation.findMany({
            where: { id: { in: evaluations }, status: { in: ['queued', 'running'] } },
            select: { id: true },
          })
        ).map((e) => e.id)
        const live = await bench.liveEvaluationJobs(open)
        return live.length === open.length ? Date.now() : null
      },
      60_000,
      50,
    )
    const progressAt = await until(
      'the worker to store a result again',
      async () => ((await bench.seriesRows()) > rowsBack ? Date.now() : null),
      60_000,
      50,
    )
    const finalAt = await bench.waitFinal(ids)
    expect(requeuedAt - backAt, `the lost evaluations were enqueued again ${requeuedAt - backAt} ms after Redis returned`).toBeLessThan(
      RECOVERY_LIMIT_MS,
    )

    const report = await checkInvariants(bench, phase, accepted, { allSucceeded: true })
    await recordFigures('redis-restart', {
      fault: `Redis shut down without saving for ${OUTAGE_MS} ms while evaluations ran (restarted empty)`,
      submissions: report.submissions,
      lostEvaluations: evaluations.length,
      outageMs: backAt - stopAt,
      requeuedAfterReturnMs: requeuedAt - backAt,
      progressAfterReturnMs: progressAt - backAt,
      allFinalAfterReturnMs: finalAt - backAt,
      succeeded: report.succeeded,
    })
  })
})
