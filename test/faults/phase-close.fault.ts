/**
 * The clock: a phase closes while an upload is in flight. The rule is decided at admission:
 * an upload whose request arrived before `closesAt` is accepted even when its body ends after
 * it (README, "What the server survives"); a request that arrives after `closesAt` is refused
 * (403) before its body is read.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest'
import { FaultBench, recordFigures, sleep, until, type Accepted } from './harness.ts'
import { checkInvariants } from './invariants.ts'

const OPEN_FOR_MS = 4000

describe('the clock: a phase closes while an upload is in flight', () => {
  let bench: FaultBench

  beforeAll(async () => {
    bench = await FaultBench.start()
    await bench.startApi()
    await bench.startWorker({ concurrency: 1 })
  })
  afterAll(async () => {
    await bench?.close()
  })

  it('an upload admitted before the close is accepted; one that arrives after is refused', async () => {
    onTestFailed(() => {
      process.stderr.write(bench.logs())
    })
    const phase = await bench.setupPhase({ studies: 2, predictions: { a: 'dilate:1' } })
    await bench.user('alice', 'participant')
    await bench.user('bob', 'participant')
    const archive = await bench.predictionsArchive(phase, 'a')
    // The organiser sets the deadline a few seconds ahead; the clock then passes it mid-upload.
    const closesAt = new Date(Date.now() + OPEN_FOR_MS)
    const patched = await bench.request(phase.organiser, 'PATCH', phase.path, { closesAt: closesAt.toISOString() })
    expect(patched.status, JSON.stringify(patched.body)).toBe(200)

    const upload = await bench.startUpload(bench.tokens.alice, `${phase.path}/submissions`, { kind: 'predictions' }, 'predictions', archive)
    const admittedAt = Date.now()
    await until('the API to receive the upload', async () => (await bench.uploadTmpFiles()).length > 0, 10_000, 20)
    await sleep(closesAt.getTime() - Date.now() + 500)
    upload.finish()
    const answer = await upload.response
    const finishedAt = Date.now()
    expect(answer.status, JSON.stringify(answer.body)).toBe(202)
    const accepted: Accepted[] = [{ id: (answer.body as { id: string }).id, participant: 'alice' }]

    const late = await bench.upload(
      bench.tokens.bob,
      'POST',
      `${phase.path}/submissions`,
      { kind: 'predictions' },
      { predictions: archive },
    )
    expect(late.status, JSON.stringify(late.body)).toBe(403)
    expect(JSON.stringify(late.body)).toContain('closed')

    const report = await checkInvariants(bench, phase, accepted, { allSucceeded: true })
    await recordFigures('phase-close', {
      fault: 'phase closesAt passed while an upload was in flight',
      admittedBeforeCloseMs: closesAt.getTime() - admittedAt,
      bodyEndedAfterCloseMs: finishedAt - closesAt.getTime(),
      inFlightStatus: answer.status,
      lateStatus: late.status,
      submissions: report.submissions,
    })
  })
})
