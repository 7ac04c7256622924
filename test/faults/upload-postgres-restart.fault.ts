/**
 * Fault: Postgres goes down while a participant's upload is in flight (admitted, its body still
 * arriving). A restart shorter than UPLOAD_DATABASE_RETRY_SECONDS is waited out inside the API:
 * the upload is accepted (202) and evaluated. A longer outage is answered 503 with Retry-After
 * (never 500) and leaves nothing behind: no row, no stored file, no temporary file, no job; the
 * participant's retry after Retry-After is accepted. A request admitted while the database is
 * down gets 503 at once.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest'
import { FaultBench, recordFigures, sleep, until, type Accepted, type PhaseSetup } from './harness.ts'
import { checkInvariants } from './invariants.ts'

describe('fault: Postgres restarted while an upload is in flight', () => {
  let bench: FaultBench
  let phase: PhaseSetup
  const accepted: Accepted[] = []

  beforeAll(async () => {
    bench = await FaultBench.start()
    await bench.startApi()
    phase = await bench.setupPhase({ studies: 2, predictions: { a: 'dilate:1', b: 'erode:1' } })
    await bench.user('alice', 'participant')
    await bench.user('bob', 'participant')
    await bench.startWorker({ concurrency: 1 })
  })
  afterAll(async () => {
    await bench?.close()
  })

  /** Starts alice's or bob's upload and waits until the API writes its body to DATA_DIR/tmp. */
  async function inFlight(who: string, set: string) {
    const upload = await bench.startUpload(
      bench.tokens[who],
      `${phase.path}/submissions`,
      { kind: 'predictions' },
      'predictions',
      await bench.predictionsArchive(phase, set),
    )
    await until('the API to receive the upload', async () => (await bench.uploadTmpFiles()).length > 0, 30_000, 20)
    return upload
  }

  it('a short restart is waited out inside the API: 202, then evaluated', async () => {
    onTestFailed(() => {
      process.stderr.write(bench.logs())
    })
    const upload = await inFlight('alice', 'a')
    const stopAt = Date.now()
    await bench.services.postgres.stop('fast')
    upload.finish()
    await sleep(2000)
    await bench.services.postgres.start()
    const backAt = Date.now()
    const answer = await upload.response
    const answeredAt = Date.now()
    expect(answer.status, JSON.stringify(answer.body)).toBe(202)
    accepted.push({ id: (answer.body as { id: string }).id, participant: 'alice' })
    await checkInvariants(bench, phase, accepted, { allSucceeded: true })
    await recordFigures('upload-postgres-restart-short', {
      fault: 'Postgres stopped (fast) for 2 s while an upload arrived (UPLOAD_DATABASE_RETRY_SECONDS=15)',
      outageMs: backAt - stopAt,
      status: answer.status,
      answeredAfterReturnMs: answeredAt - backAt,
    })
  })

  it('a longer outage: 503 with Retry-After, nothing left behind, the retry is accepted', async () => {
    onTestFailed(() => {
      process.stderr.write(bench.logs())
    })
    // The same API with a short wait for the database, so that the outage outlasts it.
    await bench.apiProcess?.stop()
    await bench.startApi({ UPLOAD_DATABASE_RETRY_SECONDS: '1' })
    const upload = await inFlight('bob', 'b')
    const stopAt = Date.now()
    await bench.services.postgres.stop('fast')
    upload.finish()
    const answer = await upload.response
    const answeredAt = Date.now()
    // Admitted while the database is down: refused before the body is read.
    const direct = await bench.upload(
      bench.tokens.bob,
      'POST',
      `${phase.path}/submissions`,
      { kind: 'predictions' },
      { predictions: await bench.predictionsArchive(phase, 'b') },
    )
    await sleep(1000)
    await bench.services.postgres.start()
    const backAt = Date.now()

    for (const a of [answer, direct]) {
      expect(a.status, JSON.stringify(a.body)).toBe(503)
      expect(a.retryAfter).toMatch(/^\d+$/)
      expect(a.body).toMatchObject({ error: { code: 'service_unavailable' } })
    }
    // Nothing behind: no row, no stored file, no temporary file, no job.
    expect(await bench.db.prisma.submission.count({ where: { phaseId: phase.phaseId, participant: { name: 'bob' } } })).toBe(0)
    expect(
      await bench.storedSubmissionFiles(phase.phaseId).then((files) => files.filter((f) => !accepted.some((a) => f.includes(a.id)))),
    ).toEqual([])
    expect(await bench.uploadTmpFiles()).toEqual([])
    await until('the queues to drain', async () => (await bench.pendingJobs()) === 0, 60_000)

    // The participant retries as told.
    await sleep(Number(answer.retryAfter) * 1000)
    const retried = await bench.submitPredictions(phase, 'bob', 'b')
    accepted.push(retried)
    const report = await checkInvariants(bench, phase, accepted, { allSucceeded: true })
    await recordFigures('upload-postgres-restart-long', {
      fault: 'Postgres down for longer than UPLOAD_DATABASE_RETRY_SECONDS (1 s here) while an upload arrived',
      status: answer.status,
      retryAfter: answer.retryAfter,
      answeredAfterStopMs: answeredAt - stopAt,
      outageMs: backAt - stopAt,
      leftovers: 0,
      submissions: report.submissions,
    })
  })
})
