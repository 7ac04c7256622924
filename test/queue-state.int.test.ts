/**
 * Honest queue state in the split deployment: `serve --no-inference` (Postgres) takes
 * algorithm submissions that no worker can run yet; participants see why (`waitingReason`)
 * and where they stand (`queuePosition`, which decreases as the queue ahead empties), on
 * GET /submissions/:id and its event stream, and GET /api/v1/status shows no inference
 * worker; once `spider-bench worker --inference` connects, the reason goes and the
 * submissions run.
 */
import { randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createUser } from '@spider-bench/evaluation'
import { openDatabase, parsePostgresUrl } from '@spider-bench/db'
import { cachedExampleAlgorithm } from '@spider-bench/inference/testing'
import { synthesize } from '@spider-bench/synth'
import { json, SERVING, startCli, testSetArchive, until, upload, type CliProcess } from './single-machine.ts'

interface Submission {
  id: string
  status: string
  queuePosition?: number | null
  estimatedStartAt?: string | null
  waitingReason?: string | null
}
interface Status {
  queues: Record<
    'evaluation' | 'scoreSeries' | 'finalize' | 'inference',
    { waiting: number; active: number; waitingChildren: number; workers: number }
  >
  workers: Record<'scoring' | 'inference', { count: number; slots: number }>
}

/** Reads a submission's server-sent events as they come. */
function eventStream(url: string, token: string) {
  const events: Array<Record<string, unknown>> = []
  const controller = new AbortController()
  const reading = (async () => {
    const res = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal })
    const decoder = new TextDecoder()
    let buffer = ''
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true })
      let end
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        const data = /^data: (.*)$/m.exec(block)?.[1]
        if (data && /^event: progress$/m.test(block)) events.push(JSON.parse(data) as Record<string, unknown>)
      }
    }
  })().catch(() => undefined)
  return {
    events,
    async close() {
      controller.abort()
      await reading
    },
  }
}

describe('serve --no-inference, then worker --inference (postgres)', () => {
  const schema = `test_${randomUUID().replace(/-/g, '')}`
  const base = process.env.DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/test'
  const databaseUrl = `${base}${base.includes('?') ? '&' : '?'}schema=${schema}`
  const dirs: string[] = []
  const processes: CliProcess[] = []
  let example: { modelPath: string; configPath: string }

  beforeAll(async () => {
    example = await cachedExampleAlgorithm()
  }, 900_000)
  afterAll(async () => {
    for (const p of processes) await p.stop()
    const client = new pg.Client({ connectionString: parsePostgresUrl(base).connectionString })
    await client.connect()
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
    await client.end()
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })))
  })

  it('says that no inference worker is connected, with queue positions that decrease, until one connects', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'spider-split-'))
    dirs.push(dataDir)
    const env = { ...process.env, DATA_DIR: dataDir, PORT: '0', SPIDER_QUEUE_PREFIX: `test-${randomUUID()}`, DATABASE_URL: databaseUrl }
    const synthDir = join(dataDir, 'spider-test')
    await synthesize({ out: synthDir, studies: 1, seed: 12, size: 'small', sequences: ['t1', 't2'] })

    const server = startCli(['serve', '--no-inference'], env)
    processes.push(server)
    const api = `${(await server.waitFor(SERVING))[1]}/api/v1`
    expect(server.output()).toContain('with the scoring workers (--no-inference: algorithms wait for an inference worker)')
    const db = await openDatabase({ databaseUrl, dataDir, migrate: false })
    const admin = await createUser(db.prisma, 'admin', 'admin').finally(() => db.close())
    const tokens: Record<string, string> = {}
    for (const [name, role] of [
      ['org', 'organiser'],
      ['p1', 'participant'],
      ['p2', 'participant'],
      ['p3', 'participant'],
    ]) {
      tokens[name] = (await json<{ token: string }>(`${api}/users`, admin.token, 'POST', { name, role })).body.token
    }
    expect((await json(`${api}/challenges`, tokens.org, 'POST', { slug: 'spider', title: 'SPIDER' })).status).toBe(201)
    const phase = await json(`${api}/challenges/spider/phases`, tokens.org, 'POST', {
      slug: 'algo',
      title: 'Algorithms',
      scoringProfile: 'spider',
      submissionKinds: ['algorithm'],
      ranking: { method: 'mean-position', metrics: [{ key: 'DiceVertebrae', order: 'desc' }] },
      entries: 'best',
      perSeriesVisibility: 'owner',
    })
    expect(phase.status).toBe(201)
    expect(
      (
        await upload(
          `${api}/challenges/spider/phases/algo/test-set`,
          tokens.org,
          {},
          { archive: await testSetArchive(synthDir, join(dataDir, 'testset.tar.gz')) },
          'PUT',
        )
      ).status,
    ).toBe(200)

    const ids: Record<string, string> = {}
    for (const who of ['p1', 'p2', 'p3']) {
      const res = await upload(
        `${api}/challenges/spider/phases/algo/submissions`,
        tokens[who],
        { kind: 'algorithm' },
        { model: example.modelPath, config: example.configPath },
      )
      expect(res.status, JSON.stringify(res.body)).toBe(202)
      ids[who] = (res.body as { id: string }).id
    }
    const view = async (who: string) => (await json<Submission>(`${api}/submissions/${ids[who]}`, tokens[who])).body
    // The scoring worker takes the evaluations (status running), but their models wait.
    await until(
      'the evaluations to be expanded',
      async () => (await Promise.all(['p1', 'p2', 'p3'].map(view))).every((s) => s.status === 'running'),
      60_000,
    )
    for (const [i, who] of ['p1', 'p2', 'p3'].entries()) {
      const s = await view(who)
      expect(s.waitingReason).toMatch(/^no inference worker is connected: algorithms run once one connects/)
      expect(s.queuePosition).toBe(i + 1)
      expect(s.estimatedStartAt).toBeNull()
    }
    const status = (await json<Status>(`${api}/status`, null)).body
    expect(status.workers).toEqual({ scoring: { count: 1, slots: expect.any(Number) }, inference: { count: 0, slots: 0 } })
    expect(status.queues.inference).toMatchObject({ workers: 0, active: 0 })
    expect(status.queues.inference.waiting).toBeGreaterThanOrEqual(3)

    const stream = eventStream(`${api}/submissions/${ids.p3}/events`, tokens.p3)
    await until('the first event', async () => stream.events.length > 0, 30_000)
    expect(stream.events[0]).toMatchObject({
      status: 'running',
      queuePosition: 3,
      waitingReason: expect.stringMatching(/^no inference worker is connected/),
    })

    // The queue ahead empties: positions decrease, on the document and in the stream.
    expect((await json(`${api}/submissions/${ids.p1}/cancel`, tokens.p1, 'POST')).status).toBe(200)
    await until('p3 to move up', async () => (await view('p3')).queuePosition === 2, 30_000)
    expect((await view('p2')).queuePosition).toBe(1)
    await until('an event with the new position', async () => stream.events.some((e) => e.queuePosition === 2), 30_000)

    // An inference worker connects: the reason goes, the submissions run and finish.
    const worker = startCli(['worker', '--inference'], env)
    processes.push(worker)
    await until('the waiting reason to go', async () => (await view('p3')).waitingReason === null, 120_000)
    expect((await json<Status>(`${api}/status`, null)).body.workers.inference).toEqual({ count: 1, slots: 1 })
    for (const who of ['p2', 'p3']) await until(`${who} to succeed`, async () => (await view(who)).status === 'succeeded', 300_000)
    await until('the stream to show the reason gone', async () => stream.events.some((e) => e.waitingReason === null), 30_000)
    await stream.close()
    expect(await worker.stop()).toBe(0)
    expect(await server.stop()).toBe(0)
  }, 600_000)
})
