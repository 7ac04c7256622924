/**
 * Fault: the database restarts while evaluations run. A private Postgres cluster is stopped
 * (`pg_ctl stop -m fast`: every connection is terminated, as a service restart does) while a
 * separate worker process scores, kept down for a few seconds and started again. The API
 * answers 503 with Retry-After meanwhile (never 500); the worker's failed jobs are retried as
 * system faults; every submission succeeds and the invariants hold.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest'
import { FaultBench, recordFigures, sleep, until, type Accepted } from './harness.ts'
import { checkInvariants } from './invariants.ts'

const OUTAGE_MS = 4000
const SETS = { a: 'dilate:1', b: 'erode:1', c: 'shift:1', d: 'noise:0.3', e: 'drop:vertebra', f: 'identity' }

describe('fault: Postgres restarted during evaluations', () => {
  let bench: FaultBench

  beforeAll(async () => {
    bench = await FaultBench.start()
    await bench.startApi()
  })
  afterAll(async () => {
    await bench?.close()
  })

  it('API answers 503 with Retry-After, the worker retries, every submission succeeds', async () => {
    onTestFailed(() => {
      process.stderr.write(bench.logs())
    })
    const phase = await bench.setupPhase({ studies: 6, predictions: SETS })
    const accepted: Accepted[] = []
    for (const [i, set] of Object.keys(SETS).entries()) {
      await bench.user(`p${i}`, 'participant')
      accepted.push(await bench.submitPredictions(phase, `p${i}`, set))
    }
    // Everything is queued; the worker starts now, and the fault comes once it has stored a few rows.
    await bench.startWorker({ concurrency: 1 })
    await until('the first stored series results', async () => (await bench.seriesRows()) >= 3, 60_000, 20)
    const inFlight = (await bench.unfinished(accepted.map((a) => a.id))).length
    expect(inFlight, 'evaluations must still be running when the database goes down').toBeGreaterThan(0)

    // A participant polls their submission throughout.
    const answers: Array<{ status: number; retryAfter: string | null; at: number }> = []
    let polling = true
    const poller = (async () => {
      while (polling) {
        const res = await bench
          .request(bench.tokens.p0, 'GET', `/api/v1/submissions/${accepted[0].id}`)
          .catch(() => ({ status: 0, retryAfter: null }))
        answers.push({ status: res.status, retryAfter: res.retryAfter, at: Date.now() })
        await sleep(100)
      }
    })()

    const stopAt = Date.now()
    await bench.services.postgres.stop('fast')
    await sleep(OUTAGE_MS)
    await bench.services.postgres.start()
    const backAt = Date.now()
    const rowsBack = await until('the test client to reconnect', () => bench.seriesRows().catch(() => null), 30_000, 50)
    const apiBackAt = await until(
      'the API to answer 200 again',
      async () => {
        const last = answers.at(-1)
        return last && last.at > backAt && last.status === 200 ? last.at : null
      },
      60_000,
      50,
    )
    const workerBackAt = await until(
      'the worker to store a result again',
      async () => ((await bench.seriesRows()) > rowsBack ? Date.now() : null),
      120_000,
      50,
    )
    const finalAt = await bench.waitFinal(accepted.map((a) => a.id))
    polling = false
    await poller

    const during = answers.filter((a) => a.at > stopAt && a.at < backAt)
    expect(
      answers.filter((a) => a.status === 500),
      'no 500 while the database restarts',
    ).toEqual([])
    expect(during.filter((a) => a.status === 503).length, 'the API answered 503 while the database was down').toBeGreaterThan(0)
    for (const a of answers.filter((x) => x.status === 503)) expect(a.retryAfter).toMatch(/^\d+$/)
    const report = await checkInvariants(bench, phase, accepted, { allSucceeded: true })

    await recordFigures('postgres-restart', {
      fault: `Postgres stopped (fast) for ${OUTAGE_MS} ms while evaluations ran`,
      submissions: report.submissions,
      inFlightAtFault: inFlight,
      outageMs: backAt - stopAt,
      answers503: during.filter((a) => a.status === 503).length,
      answers500: 0,
      apiRecoveryMs: apiBackAt - backAt,
      workerRecoveryMs: workerBackAt - backAt,
      allFinalAfterReturnMs: finalAt - backAt,
      succeeded: report.succeeded,
    })
  })
})
