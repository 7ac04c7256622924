/**
 * Fault: the storage volume fills up. DATA_DIR (upload temp files and the file store) is a
 * small tmpfs the test mounts, filled to a few KB of free space. An upload then fails with 507
 * `insufficient_storage` (never 500) and leaves nothing behind; what was stored before is
 * intact (byte for byte, still ranked); once space returns the same upload is accepted and
 * evaluated. Needs root and a kernel that lets the test mount a tmpfs; skipped otherwise.
 */
import { readdir, readFile, rm, statfs, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest'
import { FaultBench, recordFigures, type Accepted } from './harness.ts'
import { checkInvariants } from './invariants.ts'

describe('fault: the storage volume is full', () => {
  let bench: FaultBench

  beforeAll(async () => {
    bench = await FaultBench.start({ dataVolumeMb: 32 })
    if (!bench.dataVolume) return
    await bench.startApi()
    await bench.startWorker({ concurrency: 1 })
  })
  afterAll(async () => {
    await bench?.close()
  })

  it('uploads get 507 and leave nothing; stored data is intact; work resumes when space returns', async (context) => {
    if (!bench.dataVolume) context.skip('cannot mount a tmpfs here (needs root and mount permission)')
    onTestFailed(() => {
      process.stderr.write(bench.logs())
    })
    const phase = await bench.setupPhase({ studies: 2, predictions: { a: 'dilate:1', b: 'erode:1' } })
    await bench.user('alice', 'participant')
    await bench.user('bob', 'participant')
    const accepted: Accepted[] = [await bench.submitPredictions(phase, 'alice', 'a')]
    await bench.waitFinal(accepted.map((a) => a.id))

    // Fill the volume, leaving 16 KB.
    const filler = join(bench.dataDir, 'filler.bin')
    const fs = await statfs(bench.dataDir)
    await writeFile(filler, Buffer.alloc(Math.max(0, fs.bavail * fs.bsize - 16 * 1024)))
    const free = await statfs(bench.dataDir)

    const refused = await bench.upload(
      bench.tokens.bob,
      'POST',
      `${phase.path}/submissions`,
      { kind: 'predictions' },
      { predictions: await bench.predictionsArchive(phase, 'b') },
    )
    expect(refused.status, JSON.stringify(refused.body)).toBe(507)
    expect(refused.body).toMatchObject({ error: { code: 'insufficient_storage' } })
    expect(JSON.stringify(refused.body)).not.toContain(bench.dataDir)
    expect(await bench.db.prisma.submission.count({ where: { phaseId: phase.phaseId, participant: { name: 'bob' } } })).toBe(0)
    expect(await bench.uploadTmpFiles()).toEqual([])
    expect((await bench.storedSubmissionFiles(phase.phaseId)).filter((f) => !f.includes(accepted[0].id))).toEqual([])

    // Alice's stored predictions are byte for byte what she uploaded.
    const stored = (await bench.storedSubmissionFiles(phase.phaseId)).sort()
    expect(stored.length).toBe(phase.seriesNames.length)
    for (const file of stored) {
      const name = file.split('/').pop() ?? ''
      expect((await readFile(file)).equals(await readFile(join(phase.predictions.a, name))), `${name} intact`).toBe(true)
    }
    // Reads keep working on a full disk.
    expect((await bench.request(null, 'GET', `${phase.path}/leaderboard`)).status).toBe(200)

    await rm(filler)
    const retried = await bench.upload<{ id: string }>(
      bench.tokens.bob,
      'POST',
      `${phase.path}/submissions`,
      { kind: 'predictions' },
      { predictions: await bench.predictionsArchive(phase, 'b') },
    )
    expect(retried.status, JSON.stringify(retried.body)).toBe(202)
    accepted.push({ id: retried.body.id, participant: 'bob' })
    const report = await checkInvariants(bench, phase, accepted, { allSucceeded: true })
    expect(await readdir(bench.dataDir)).not.toContain('filler.bin')
    await recordFigures('disk-full', {
      fault: 'DATA_DIR on a 32 MB tmpfs filled to 16 KB free',
      freeBytesAtUpload: free.bavail * free.bsize,
      status: refused.status,
      retryAfter: refused.retryAfter,
      leftovers: 0,
      submissions: report.submissions,
    })
  })
})
