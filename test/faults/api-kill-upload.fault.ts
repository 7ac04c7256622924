/**
 * Fault: the API process is killed with SIGKILL in the middle of an upload (admitted, its body
 * half received into DATA_DIR/tmp). The participant's connection drops; nothing half-stored
 * becomes visible or queued; the next API process removes the dead one's temporary files when
 * it starts and takes over its upload slot, so the participant's retry is accepted at once.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest'
import { FaultBench, recordFigures, until, type Accepted } from './harness.ts'
import { checkInvariants } from './invariants.ts'

describe('fault: the API killed with SIGKILL during an upload', () => {
  let bench: FaultBench

  beforeAll(async () => {
    bench = await FaultBench.start()
    await bench.startApi()
    await bench.startWorker({ concurrency: 1 })
  })
  afterAll(async () => {
    await bench?.close()
  })

  it('leaves nothing visible or queued; temporary files go at the next start; the retry is accepted', async () => {
    onTestFailed(() => {
      process.stderr.write(bench.logs())
    })
    const phase = await bench.setupPhase({ studies: 2, predictions: { a: 'dilate:1' } })
    await bench.user('alice', 'participant')
    const archive = await bench.predictionsArchive(phase, 'a')
    const upload = await bench.startUpload(bench.tokens.alice, `${phase.path}/submissions`, { kind: 'predictions' }, 'predictions', archive)
    await until('the API to receive the upload', async () => (await bench.uploadTmpFiles()).length > 0, 30_000, 20)

    const api = bench.apiProcess
    if (!api) throw new Error('no API process')
    const killedAt = Date.now()
    api.child.kill('SIGKILL')
    await api.exit
    await expect(upload.response, 'the client sees its connection drop').rejects.toThrow()
    const left = await bench.uploadTmpFiles()
    expect(left.length, 'the killed process left its received bytes behind').toBeGreaterThan(0)

    await bench.startApi()
    const restartedAt = Date.now()
    expect(await bench.uploadTmpFiles(), 'the new API process removed them at start').toEqual([])
    expect(await bench.db.prisma.submission.count({ where: { phaseId: phase.phaseId } }), 'no submission row').toBe(0)
    expect(await bench.storedSubmissionFiles(phase.phaseId), 'no stored file').toEqual([])
    expect(await bench.pendingJobs(), 'no job').toBe(0)

    // The retry: the dead process's upload slot does not block it.
    const retried = await bench.submitPredictions(phase, 'alice', 'a')
    const acceptedAt = Date.now()
    const accepted: Accepted[] = [retried]
    const report = await checkInvariants(bench, phase, accepted, { allSucceeded: true })
    await recordFigures('api-kill-upload', {
      fault: 'API SIGKILLed while receiving an upload',
      tmpFilesLeftByKill: left.length,
      tmpFilesAfterRestart: 0,
      apiRestartMs: restartedAt - killedAt,
      retryAcceptedAfterKillMs: acceptedAt - killedAt,
      submissions: report.submissions,
    })
  })
})
