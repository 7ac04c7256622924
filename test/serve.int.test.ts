/**
 * `npm start` on one machine, exactly as the README's single-machine story runs it: the
 * embedded database, no flags (the inference worker runs in the server), users created
 * through the REST API, and both a predictions submission and the example ONNX algorithm
 * taken to the leaderboard.
 */
import { randomUUID } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cachedExampleAlgorithm } from '@spider-bench/inference/testing'
import { synthesize } from '@spider-bench/synth'
import {
  json,
  predictionsArchive,
  runCliToEnd,
  SERVING,
  startCli,
  testSetArchive,
  until,
  upload,
  type CliProcess,
} from './single-machine.ts'

interface Issued {
  user: { id: string; name: string; role: string }
  token: string
}
interface Submission {
  status: string
  error?: string
  queuePosition?: number | null
  waitingReason?: string | null
}

describe('npm start (serve, embedded database, no flags)', () => {
  const dirs: string[] = []
  let server: CliProcess | null = null
  let example: { modelPath: string; configPath: string }
  // Trained once per source version and cached in the temp folder (minutes the first time).
  beforeAll(async () => {
    example = await cachedExampleAlgorithm()
  }, 900_000)
  afterAll(async () => {
    await server?.stop()
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })))
  })

  it('serves everything one machine needs: users over REST, predictions and the example algorithm reach the leaderboard', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'spider-serve-'))
    dirs.push(dataDir)
    const env = { ...process.env, DATA_DIR: dataDir, PORT: '0', SPIDER_QUEUE_PREFIX: `test-${randomUUID()}`, DATABASE_URL: '' }
    // The README: the first admin before the first start, everything else through the API.
    const admin = await runCliToEnd(['users', 'create', '--name', 'admin', '--role', 'admin'], env)
    expect(admin.code, admin.err).toBe(0)
    const adminToken = admin.out.trim().split('\n').at(-1) ?? ''
    const synthDir = join(dataDir, 'spider-test')
    await synthesize({ out: synthDir, studies: 1, seed: 11, size: 'small', predictions: { mine: 'dilate:1,relabel' } })

    server = startCli(['serve'], env)
    const url = (await server.waitFor(SERVING))[1]
    expect(server.output()).toContain('with the scoring and inference workers')
    expect(existsSync(join(dataDir, 'server.json'))).toBe(true)
    const api = `${url}/api/v1`

    const users: Record<string, Issued> = {}
    for (const [name, role] of [
      ['org', 'organiser'],
      ['alice', 'participant'],
      ['bob', 'participant'],
    ]) {
      const res = await json<Issued>(`${api}/users`, adminToken, 'POST', { name, role })
      expect(res.status).toBe(201)
      users[name] = res.body
    }
    const org = users.org.token
    expect((await json(`${api}/challenges`, org, 'POST', { slug: 'spider', title: 'SPIDER lumbar spine' })).status).toBe(201)
    const phase = await json(`${api}/challenges/spider/phases`, org, 'POST', {
      slug: 'test',
      title: 'Test phase',
      scoringProfile: 'spider',
      submissionKinds: ['predictions', 'algorithm'],
      ranking: {
        method: 'mean-position',
        metrics: [
          { key: 'DiceVertebrae', order: 'desc' },
          { key: 'ASDVertebrae', order: 'asc' },
        ],
      },
      entries: 'best',
      submissionLimit: { count: 5, periodHours: 24 },
      perSeriesVisibility: 'owner',
    })
    expect(phase.status).toBe(201)
    const testSet = await upload(
      `${api}/challenges/spider/phases/test/test-set`,
      org,
      {},
      { archive: await testSetArchive(synthDir, join(dataDir, 'testset.tar.gz')) },
      'PUT',
    )
    expect(testSet.status).toBe(200)

    const predictions = await upload(
      `${api}/challenges/spider/phases/test/submissions`,
      users.alice.token,
      { kind: 'predictions' },
      { predictions: await predictionsArchive(join(synthDir, 'predictions', 'mine'), join(dataDir, 'predictions.tar.gz')) },
    )
    expect(predictions.status).toBe(202)
    const { modelPath, configPath } = example
    const algorithm = await upload(
      `${api}/challenges/spider/phases/test/submissions`,
      users.bob.token,
      { kind: 'algorithm' },
      { model: modelPath, config: configPath },
    )
    expect(algorithm.status, JSON.stringify(algorithm.body)).toBe(202)

    const done: Record<string, Submission> = {}
    for (const [who, res] of [
      ['alice', predictions],
      ['bob', algorithm],
    ] as const) {
      const id = (res.body as { id: string }).id
      done[who] = await until(`${who}'s submission to finish`, async () => {
        const s = await json<Submission>(`${api}/submissions/${id}`, users[who].token)
        // Every worker role is in this process: nothing may wait for a missing worker.
        expect(s.body.waitingReason ?? null).toBeNull()
        return ['succeeded', 'failed', 'cancelled'].includes(s.body.status) ? s.body : null
      })
    }
    expect(done.alice).toMatchObject({ status: 'succeeded' })
    expect(done.bob).toMatchObject({ status: 'succeeded' })
    const board = await json<{ rows: Array<{ participant: string; metrics: Record<string, number | null> }> }>(
      `${api}/challenges/spider/phases/test/leaderboard`,
      null,
    )
    expect(board.body.rows.map((r) => r.participant).sort()).toEqual(['alice', 'bob'])
    for (const row of board.body.rows) expect(row.metrics.DiceVertebrae).toBeGreaterThan(0)
    const status = await json<{ workers: { scoring: { count: number }; inference: { count: number } } }>(`${api}/status`, null)
    expect(status.body.workers).toMatchObject({ scoring: { count: 1 }, inference: { count: 1 } })

    expect(await server.stop()).toBe(0)
    server = null
    expect(existsSync(join(dataDir, 'server.json'))).toBe(false)
  }, 600_000)
})
