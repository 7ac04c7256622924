/**
 * The participant's command line against a real server (API harness on Postgres, real Redis,
 * the evaluation and inference workers in-process): login, the whole submit loop for
 * predictions and for an ONNX algorithm, results exports and the leaderboard equal to the
 * REST answers, and every failure the commands must explain.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createServer as createHttpServer, type Server } from 'node:http'
import { createServer as createTcpServer, connect as tcpConnect, type Server as TcpServer, type Socket } from 'node:net'
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pino } from 'pino'
import { encodeModel } from '@spider-bench/inference'
import { fastModel } from '@spider-bench/inference/testing'
import { scoreDirectories, writeImage, readImage, type ResultDocument } from '@spider-bench/scoring'
import { synthesize } from '@spider-bench/synth'
import { startWorkers, type RunningWorkers } from '@spider-bench/worker'
import { apiClient, PHASE_BODY, startHarness, type Harness, type TestEntry } from '../apps/api/src/testing/index.ts'
import { runCli, type CliRun } from '../packages/cli/src/testing/run-cli.ts'
import { formatLeaderboard } from '../packages/cli/src/demo/leaderboard-table.ts'
import { formatSubmissionResults } from '../packages/cli/src/participant/output.ts'
import type { LeaderboardDocument, SubmissionDocument } from '../packages/cli/src/participant/documents.ts'

const RANKING = [
  { key: 'DiceVertebrae', order: 'desc' },
  { key: 'ASDVertebrae', order: 'asc' },
] as const

const PHASE = { ...PHASE_BODY, submissionKinds: ['predictions', 'algorithm'], ranking: { method: 'mean-position', metrics: RANKING } }

// fastModel: a random 3x3x3 convolution to two classes, a valid (if poor) segmentation model.
const FAST_CONFIG = {
  schemaVersion: 1,
  input: { channels: ['image'], spacing: null },
  normalization: { kind: 'z-score' },
  slidingWindow: { patchSize: [8, 32, 32], overlap: 0.25, blending: 'gaussian' },
  output: { kind: 'logits', channels: [{ class: 'background' }, { class: 'vertebra' }] },
}
// sqrt(-(x²)): finite (−0) on the all-zero validation patch, NaN on every real image.
const NAN_ON_IMAGES_MODEL = encodeModel({
  name: 'nan-on-images',
  inputs: [{ name: 'x', elemType: 'float32', shape: [1, 1, 'z', 'y', 'x'] }],
  outputs: [{ name: 'y', elemType: 'float32', shape: [1, 2, 'z', 'y', 'x'] }],
  nodes: [
    { op: 'Mul', inputs: ['x', 'x'], outputs: ['sq'] },
    { op: 'Neg', inputs: ['sq'], outputs: ['neg'] },
    { op: 'Sqrt', inputs: ['neg'], outputs: ['nan'] },
    { op: 'Concat', inputs: ['nan', 'nan'], outputs: ['y'], attributes: { axis: { int: 1 } } },
  ],
})

describe('spider-bench participant commands (postgres, real worker)', () => {
  let h: Harness
  let workers: RunningWorkers
  let work: string
  let synthDir: string
  let expected: ResultDocument
  const users: Record<string, { id: string; token: string }> = {}
  const ids: Record<string, string> = {}

  let api: ReturnType<typeof apiClient>
  const rest = async <T>(token: string | null, method: string, path: string, body?: unknown): Promise<T> => {
    const res = await api.json(token ?? undefined, method, path, body)
    const text = await res.text()
    if (!res.ok) throw new Error(`${method} ${path} → ${res.status}: ${text}`)
    return JSON.parse(text) as T
  }

  async function until(condition: () => boolean, timeoutMs = 60_000): Promise<void> {
    for (const deadline = Date.now() + timeoutMs; !condition();) {
      if (Date.now() > deadline) throw new Error('condition not met in time')
      await new Promise((r) => setTimeout(r, 20))
    }
  }

  /** Resolves `seen` once fetch (real, only watched) has answered a request to a URL ending in `suffix` with `status`. */
  function answered(suffix: string, status: number): { seen: Promise<void>; restore(): void } {
    const real = globalThis.fetch
    let resolve = () => {}
    const seen = new Promise<void>((r) => (resolve = r))
    const spy = vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
      const res = await real(input, init)
      const url = input instanceof Request ? input.url : String(input)
      if (url.endsWith(suffix) && res.status === status) resolve()
      return res
    })
    return { seen, restore: () => spy.mockRestore() }
  }

  /** `spider-bench ARGS` as `who` (SPIDER_BENCH_URL/TOKEN), or with the stored login when `who` is null. */
  async function cli(who: string | null, args: string[], url?: string): Promise<CliRun> {
    if (who !== null) {
      vi.stubEnv('SPIDER_BENCH_URL', url ?? h.url)
      vi.stubEnv('SPIDER_BENCH_TOKEN', users[who].token)
    }
    try {
      return await runCli(args)
    } finally {
      vi.stubEnv('SPIDER_BENCH_URL', '')
      vi.stubEnv('SPIDER_BENCH_TOKEN', '')
    }
  }

  async function uploadSet(organiser: string, phase: string, route: 'test-set' | 'sanity-set', dir: string): Promise<void> {
    const entries: TestEntry[] = []
    for (const folder of ['images', 'masks']) {
      for (const f of (await readdir(join(dir, folder))).sort())
        entries.push({ name: `${folder}/${f}`, data: await readFile(join(dir, folder, f)) })
    }
    const res = await api.multipart(organiser, 'PUT', `/api/v1/challenges/spine/phases/${phase}/${route}`, {
      archive: await api.archive(entries),
    })
    expect(res.status, await res.clone().text()).toBe(200)
  }

  async function writeAlgorithm(name: string, model: Uint8Array, config: unknown): Promise<{ model: string; config: string }> {
    const dir = join(work, name)
    await mkdir(dir, { recursive: true })
    await writeFile(join(dir, 'model.onnx'), model)
    await writeFile(join(dir, 'config.json'), JSON.stringify(config))
    return { model: join(dir, 'model.onnx'), config: join(dir, 'config.json') }
  }

  beforeAll(async () => {
    h = await startHarness('postgres', { maxEventStreamsPerUser: 1 })
    work = await mkdtemp(join(h.dataDir, 'cli-'))
    api = apiClient(h.url, work)
    vi.stubEnv('XDG_CONFIG_HOME', join(work, 'config-home'))
    synthDir = join(work, 'synth')
    await synthesize({ out: synthDir, studies: 2, seed: 5, size: 'small', predictions: { good: 'dilate:1' } })
    const sanityDir = join(work, 'sanity')
    await synthesize({ out: sanityDir, studies: 1, seed: 77, size: 'small', sequences: ['t2'] })
    expected = (await scoreDirectories({ truthDir: join(synthDir, 'masks'), predDir: join(synthDir, 'predictions', 'good'), threads: 1 }))
      .document
    const organiser = (await h.user('org', 'organiser')).token
    for (const who of ['alice', 'bob', 'carol', 'dave', 'erin']) users[who] = await h.user(who, 'participant')
    users.admin = await h.user('admin', 'admin')
    await rest(organiser, 'POST', '/api/v1/challenges', { slug: 'spine', title: 'Spine' })
    await rest(organiser, 'POST', '/api/v1/challenges/spine/phases', {
      ...PHASE,
      slug: 'final',
      submissionLimit: { count: 10, periodHours: 24 },
    })
    await rest(organiser, 'POST', '/api/v1/challenges/spine/phases', {
      ...PHASE,
      slug: 'limited',
      submissionKinds: ['predictions'],
      submissionLimit: { count: 1, periodHours: 24 },
    })
    await rest(organiser, 'POST', '/api/v1/challenges/spine/phases', { ...PHASE, slug: 'closed', submissionKinds: ['predictions'] })
    for (const phase of ['final', 'limited', 'closed']) await uploadSet(organiser, phase, 'test-set', synthDir)
    await uploadSet(organiser, 'final', 'sanity-set', sanityDir)
    workers = await startWorkers({
      prisma: h.db.prisma,
      storage: h.storage,
      redisUrl: h.config.redisUrl,
      queuePrefix: h.config.queuePrefix,
      inference: true,
      logger: pino({ level: 'silent' }),
      config: { concurrency: 2, reconcileIntervalMs: 3_600_000, reconcileGraceMs: 3_600_000 },
    })
  })

  afterAll(async () => {
    vi.unstubAllEnvs()
    await workers?.close()
    await h?.close()
  })

  it('login checks the token, stores URL and token readable by the user only; a refused token stores nothing', async () => {
    const file = join(work, 'config-home', 'spider-bench', 'config.json')
    const bad = await runCli(['login', '--url', h.url, '--token', 'sb_not-a-real-token'])
    expect(bad.code).toBe(1)
    expect(bad.err).toMatch(
      new RegExp(
        /^spider-bench login: the server at http:\/\/127\.0\.0\.1:\d+ /.source +
          /refused the API token from --token \(invalid API token\): it is mistyped, expired or revoked/.source,
      ),
    )
    await expect(stat(file)).rejects.toMatchObject({ code: 'ENOENT' })

    const ok = await runCli(['login', '--url', `${h.url}/`, '--token', users.alice.token])
    expect(ok).toMatchObject({ code: 0, out: `logged in to ${h.url} as alice (participant); login stored in ${file}` })
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ url: h.url, token: users.alice.token })
    // Every later command without SPIDER_BENCH_* uses it.
    expect(await cli(null, ['submissions', '--challenge', 'spine', '--phase', 'final'])).toMatchObject({ code: 0, out: 'no submissions' })
  })

  it('submit (predictions): local checks, upload, evaluation followed to the end, the aggregates table; exit 0', async () => {
    // The queue holds the evaluation until the command follows it, so it sees it queued.
    await h.app.evaluationQueue.pause()
    const streams = h.app.eventStreams.stats().streams
    const pending = cli(null, ['submit', '--challenge', 'spine', '--phase', 'final', join(synthDir, 'predictions', 'good')])
    await until(() => h.app.eventStreams.stats().streams > streams)
    await h.app.evaluationQueue.resume()
    const run = await pending
    expect(run.err).toMatch(/^evaluation: queued/m)
    expect(run.code, run.err).toBe(0)
    const id = /^submitted predictions: (\S+)$/m.exec(run.out)?.[1] as string
    ids.alice = id
    const doc = await rest<SubmissionDocument>(users.alice.token, 'GET', `/api/v1/submissions/${id}`)
    expect(doc.status).toBe('succeeded')
    // The server's aggregates are those of `spider-bench score` on the same files ...
    expect(doc.aggregates).toEqual(JSON.parse(JSON.stringify(expected.aggregates)))
    // ... and the command printed them as the score table.
    expect(run.out.endsWith(formatSubmissionResults(doc, 'spider'))).toBe(true)
    // The phase publishes its series names and sizes: the folder was checked against them.
    expect(run.out).toMatch(
      new RegExp(
        `^checked locally: ${expected.series.length} label images, ` +
          `one per test series with its size \\(${expected.series.length} series\\)$`,
        'm',
      ),
    )
  })

  it('results --out writes CSV and JSON equal to the API values; results --series prints every series', async () => {
    const id = ids.alice
    const submission = await rest<SubmissionDocument>(users.alice.token, 'GET', `/api/v1/submissions/${id}`)
    const series = await rest<{
      series: Array<{ name: string; sequence: string; status: string; error: string | null; metrics: Record<string, number | null> }>
    }>(users.alice.token, 'GET', `/api/v1/submissions/${id}/series`)

    const json = join(work, 'results.json')
    const withSeries = await cli('alice', ['results', id, '--series', '--out', json])
    expect(withSeries.code, withSeries.err).toBe(0)
    expect(JSON.parse(await readFile(json, 'utf8'))).toEqual({ submission, series })
    for (const s of series.series) expect(withSeries.out).toMatch(new RegExp(`^${s.name} +${s.sequence} +${s.status} `, 'm'))

    const csv = join(work, 'series.csv')
    expect((await cli('alice', ['results', id, '--series', '--out', csv])).code).toBe(0)
    const [header, ...rows] = (await readFile(csv, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((l) => l.split(','))
    const keys = header.slice(4)
    expect(header.slice(0, 4)).toEqual(['name', 'sequence', 'status', 'error'])
    expect(keys).toEqual(Object.keys(series.series[0].metrics))
    expect(rows.map((r) => r.slice(0, 3))).toEqual(series.series.map((s) => [s.name, s.sequence, s.status]))
    rows.forEach((r, i) => keys.forEach((k, j) => expect(r[4 + j] === '' ? null : Number(r[4 + j])).toBe(series.series[i].metrics[k])))

    const aggCsv = join(work, 'aggregates.csv')
    expect((await cli('alice', ['results', id, '--out', aggCsv])).code).toBe(0)
    const [aggHeader, ...aggRows] = (await readFile(aggCsv, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((l) => l.split(','))
    expect(aggHeader).toEqual(['metric', 'mean', 'std', 'median', 'min', 'max', 'count'])
    const aggregates = submission.aggregates ?? {}
    expect(aggRows.map((r) => r[0])).toEqual(Object.keys(aggregates))
    for (const r of aggRows) {
      const fields = aggHeader.slice(1) as Array<keyof (typeof aggregates)[string]>
      fields.forEach((f, j) => expect(r[1 + j] === '' ? null : Number(r[1 + j])).toBe(aggregates[r[0]][f] ?? null))
    }
    // Others may not read them.
    const other = await cli('bob', ['results', id])
    expect(other).toMatchObject({
      code: 1,
      err: `spider-bench results: cannot read submission ${id}: submission ${id} belongs to another participant`,
    })
  })

  it('submit (algorithm): the model and config are checked locally, run by the server (canary, then hidden set); exit 0', async () => {
    const files = await writeAlgorithm('fast', fastModel(), FAST_CONFIG)
    const run = await cli('bob', ['submit', '--challenge', 'spine', '--phase', 'final', '--model', files.model, '--config', files.config])
    expect(run.code, run.err).toBe(0)
    expect(run.out).toMatch(/^checked locally: config\.json is a valid config; model\.onnx loads in onnxruntime and runs on one patch$/m)
    const id = /^submitted algorithm: (\S+)$/m.exec(run.out)?.[1] as string
    ids.bob = id
    const doc = await rest<SubmissionDocument>(users.bob.token, 'GET', `/api/v1/submissions/${id}`)
    expect([doc.kind, doc.status, doc.progress]).toEqual([
      'algorithm',
      'succeeded',
      { done: expected.series.length, total: expected.series.length },
    ])
    expect(run.out.endsWith(formatSubmissionResults(doc, 'spider'))).toBe(true)
    // Evaluated on the public sanity case first, then on the hidden test set.
    const evaluations = await h.db.prisma.evaluation.findMany({
      where: { submissionId: id },
      include: { testSet: true },
      orderBy: { createdAt: 'asc' },
    })
    expect(evaluations.map((e) => [e.testSet.public, e.status])).toEqual([
      [true, 'succeeded'],
      [false, 'succeeded'],
    ])
  })

  it('an evaluation that fails exits 2 and prints every reason', async () => {
    const files = await writeAlgorithm('nan', NAN_ON_IMAGES_MODEL, FAST_CONFIG)
    const run = await cli('carol', ['submit', '--challenge', 'spine', '--phase', 'final', '--model', files.model, '--config', files.config])
    expect(run.code, run.err).toBe(2)
    const id = /^submitted algorithm: (\S+)$/m.exec(run.out)?.[1] as string
    const doc = await rest<SubmissionDocument>(users.carol.token, 'GET', `/api/v1/submissions/${id}`)
    expect(doc.status).toBe('failed')
    expect(run.err).toContain(`submission ${id} failed:\n  - ${doc.error}`)
    expect(doc.error).toMatch(/non-finite-output/)
    // status and results say the same, with the same exit code.
    expect(await cli('carol', ['status', id])).toMatchObject({ code: 2 })
    expect((await cli('carol', ['results', id])).err).toContain(`  - ${doc.error}`)
  })

  it('leaderboard prints the REST leaderboard (table and --json); --at a past time', async () => {
    let board = await rest<LeaderboardDocument>(null, 'GET', '/api/v1/challenges/spine/phases/final/leaderboard')
    for (let i = 0; board.rows.length < 2 && i < 60; i++) {
      await new Promise((r) => setTimeout(r, 500))
      board = await rest<LeaderboardDocument>(null, 'GET', '/api/v1/challenges/spine/phases/final/leaderboard')
    }
    expect(board.rows.map((r) => r.participant).sort()).toEqual(['alice', 'bob'])
    const json = await cli('dave', ['leaderboard', 'spine', 'final', '--json'])
    expect(json.code).toBe(0)
    expect(JSON.parse(json.out)).toEqual(board)
    const table = await cli('dave', ['leaderboard', 'spine', 'final'])
    expect(table.out).toBe(`spine/final: computed ${board.computedAt}\n${formatLeaderboard(board)}`)
    for (const row of board.rows) expect(table.out).toMatch(new RegExp(`^ *${row.rank}  ${row.participant} `, 'm'))
    const past = await cli('dave', ['leaderboard', 'spine', 'final', '--at', '2000-01-01T00:00:00Z', '--json'])
    expect(JSON.parse(past.out)).toEqual(
      await rest(null, 'GET', '/api/v1/challenges/spine/phases/final/leaderboard?at=2000-01-01T00%3A00%3A00Z'),
    )
    expect(await cli('dave', ['leaderboard', 'spine', 'final', '--at', 'yesterday'])).toMatchObject({
      code: 1,
      err: 'spider-bench leaderboard: --at expects an ISO 8601 time such as 2026-11-30T12:00:00Z, got "yesterday"',
    })
  })

  it('submissions, status and quota show what the API says', async () => {
    const listed = await cli('alice', ['submissions', '--json'])
    expect(JSON.parse(listed.out)).toEqual(await rest(users.alice.token, 'GET', '/api/v1/challenges/spine/phases/final/submissions?mine=1'))
    const table = await cli('alice', ['submissions'])
    expect(table.out).toMatch(new RegExp(`^${ids.alice}  spine/final  predictions  succeeded  `, 'm'))
    const status = await cli('alice', ['status', ids.alice, '--json'])
    expect(JSON.parse(status.out)).toEqual(await rest(users.alice.token, 'GET', `/api/v1/submissions/${ids.alice}`))
    const quota = await cli('alice', ['quota', 'spine', 'final', '--json'])
    expect(quota.code, quota.err).toBe(0)
    expect(JSON.parse(quota.out)).toEqual(await rest(users.alice.token, 'GET', '/api/v1/challenges/spine/phases/final/quota'))
    expect((await cli('alice', ['quota', 'spine', 'final'])).out).toContain('  used:  1 in the last 24 h; 9 left')
  })

  it('--no-wait returns after the upload; status --wait follows by polling when the server refuses another event stream', async () => {
    // Held in the queue until the command has been refused its stream.
    await h.app.evaluationQueue.pause()
    const run = await cli('dave', [
      'submit',
      '--challenge',
      'spine',
      '--phase',
      'final',
      '--no-wait',
      '--json',
      join(synthDir, 'predictions', 'good'),
    ])
    expect(run.code, run.err).toBe(0)
    const doc = JSON.parse(run.out) as SubmissionDocument
    expect([doc.participant, doc.kind]).toEqual(['dave', 'predictions'])
    // dave's one allowed stream (MAX_EVENT_STREAMS_PER_USER=1) is taken: the CLI polls instead.
    const held = new AbortController()
    const stream = await fetch(`${h.url}/api/v1/submissions/${doc.id}/events`, {
      headers: { authorization: `Bearer ${users.dave.token}` },
      signal: held.signal,
    })
    expect(stream.status).toBe(200)
    const refused = answered(`/api/v1/submissions/${doc.id}/events`, 429)
    try {
      const pending = cli('dave', ['status', doc.id, '--wait'])
      await refused.seen
      await h.app.evaluationQueue.resume()
      const waited = await pending
      expect(waited.code, waited.err).toBe(0)
      expect(waited.err).toMatch(/^the server refused an event stream \(HTTP 429: too many open streams\); polling the status instead$/m)
      expect(waited.out).toBe(formatSubmissionResults(await rest(users.dave.token, 'GET', `/api/v1/submissions/${doc.id}`), 'spider'))
    } finally {
      refused.restore()
      held.abort()
      await h.app.evaluationQueue.resume()
    }
  })

  it('explains a wrong URL: not a spider-bench server, an extra /api/v1, nothing listening', async () => {
    const html: Server = createHttpServer((_req, res) => res.writeHead(404, { 'content-type': 'text/html' }).end('<html>Not Found</html>'))
    await new Promise<void>((r) => html.listen(0, '127.0.0.1', r))
    const htmlUrl = `http://127.0.0.1:${(html.address() as { port: number }).port}`
    try {
      const other = await runCli(['login', '--url', htmlUrl, '--token', users.alice.token])
      expect(other).toMatchObject({
        code: 1,
        err:
          `spider-bench login: ${htmlUrl} does not look like a spider-bench server: ` +
          'GET /api/v1/me answered HTTP 404 with text/html, not the JSON a spider-bench server sends. ' +
          "Check the URL: it is the server's address, e.g. https://bench.example.org, without /api/v1.",
      })
    } finally {
      await new Promise((r) => html.close(r))
    }
    const prefixed = await runCli(['login', '--url', `${h.url}/api/v1`, '--token', users.alice.token])
    expect(prefixed.code).toBe(1)
    expect(prefixed.err).toBe(
      `spider-bench login: ${h.url}/api/v1 is a spider-bench server without the route GET /api/v1/me ` +
        '(no route GET /api/v1/api/v1/me): ' +
        "the URL may carry an extra path (give the server's address without /api/v1), or the server is older than this command.",
    )
    // A port nobody listens on (this one was just closed).
    const closed = await cli('alice', ['submissions'], htmlUrl)
    expect(closed).toMatchObject({
      code: 1,
      err:
        `spider-bench submissions: cannot list the challenges: cannot reach ${htmlUrl} (connection refused (ECONNREFUSED)). ` +
        'Check the URL and your network, and that the server is running.',
    })
  })

  it('explains a revoked token', async () => {
    const tokens = await rest<Array<{ name: string; tokens: Array<{ id: string }> }>>(users.admin.token, 'GET', '/api/v1/users')
    const erin = tokens.find((u) => u.name === 'erin')?.tokens[0].id as string
    await rest(users.admin.token, 'DELETE', `/api/v1/tokens/${erin}`)
    const run = await cli('erin', ['submit', '--challenge', 'spine', '--phase', 'final', join(synthDir, 'predictions', 'good')])
    expect(run.code).toBe(1)
    expect(run.err).toBe(
      `spider-bench submit: the server at ${h.url} refused the API token from SPIDER_BENCH_TOKEN (invalid API token): ` +
        'it is mistyped, expired or revoked. ' +
        `Ask the organisers for a new token, then run "spider-bench login --url ${h.url} --token NEW_TOKEN".`,
    )
  })

  it('explains a closed phase: far past its end (refused before packing) and just past it (the server refuses)', async () => {
    const before = await h.db.prisma.submission.count()
    const hourAgo = new Date(Date.now() - 3_600_000)
    await h.db.prisma.phase.updateMany({ where: { slug: 'closed' }, data: { closesAt: hourAgo } })
    const far = await cli('dave', ['submit', '--challenge', 'spine', '--phase', 'closed', join(synthDir, 'predictions', 'good')])
    expect(far.code).toBe(1)
    expect(far.err).toMatch(
      new RegExp(
        `^spider-bench submit: phase "closed" of challenge "spine" is closed: ` +
          `it closed at .*${hourAgo.toISOString()}\\); it accepts no more submissions$`,
      ),
    )
    // Within the clock slack, and with --skip-checks, the server's answer decides.
    const minuteAgo = new Date(Date.now() - 60_000)
    await h.db.prisma.phase.updateMany({ where: { slug: 'closed' }, data: { closesAt: minuteAgo } })
    for (const flags of [[], ['--skip-checks']]) {
      const near = await cli('dave', [
        'submit',
        '--challenge',
        'spine',
        '--phase',
        'closed',
        ...flags,
        join(synthDir, 'predictions', 'good'),
      ])
      expect(near.code).toBe(1)
      expect(near.err).toMatch(
        new RegExp(
          `^spider-bench submit: cannot submit to spine/closed: phase "closed" is closed: it closed at ${minuteAgo.toISOString()} \\(now `,
        ),
      )
    }
    expect(await h.db.prisma.submission.count()).toBe(before)
  })

  it('explains a reached limit with the next allowed time (from the quota, and from the server with --skip-checks)', async () => {
    const first = await cli('carol', ['submit', '--challenge', 'spine', '--phase', 'limited', join(synthDir, 'predictions', 'good')])
    expect(first.code, first.err).toBe(0)
    const id = /^submitted predictions: (\S+)$/m.exec(first.out)?.[1] as string
    const created = new Date((await rest<SubmissionDocument>(users.carol.token, 'GET', `/api/v1/submissions/${id}`)).createdAt)
    const next = new Date(created.getTime() + 24 * 3_600_000).toISOString()
    const second = await cli('carol', ['submit', '--challenge', 'spine', '--phase', 'limited', join(synthDir, 'predictions', 'good')])
    expect(second.code).toBe(1)
    expect(second.err).toMatch(
      new RegExp(
        /^spider-bench submit: submission limit reached in phase "limited" of challenge "spine": /.source +
          /1 of 1 per 24 h used; the next submission is allowed at /.source,
      ),
    )
    expect(second.err).toContain(`${next})`)
    const refused = await cli('carol', [
      'submit',
      '--challenge',
      'spine',
      '--phase',
      'limited',
      '--skip-checks',
      join(synthDir, 'predictions', 'good'),
    ])
    expect(refused.code).toBe(1)
    expect(refused.err).toMatch(
      new RegExp(
        `^spider-bench submit: cannot submit to spine/limited: submission limit reached \\(1 per 24 h\\); ` +
          `the next submission is allowed at ${next}\n` +
          `the next submission is allowed at .*${next}\\); "spider-bench quota" shows your limit$`,
      ),
    )
    expect((await cli('carol', ['quota', 'spine', 'limited'])).out).toContain(`next submission allowed at `)
  })

  it('lists every validation problem: locally before any upload, and from the server (422) with --skip-checks', async () => {
    const dir = join(work, 'bad-predictions')
    await cp(join(synthDir, 'predictions', 'good'), dir, { recursive: true })
    const names = expected.series.map((s) => s.name)
    const mask = await readImage(join(dir, `${names[0]}.mha`))
    // A fractional label, a wrong size, a missing series, an unknown name, a duplicate, a stray file.
    const fractional = Float32Array.from(mask.data as ArrayLike<number>, (v, i) => (i === 5 ? 1.5 : v))
    await writeImage({ ...mask, componentType: 'float32', data: fractional }, join(dir, `${names[0]}.mha`))
    const small = await readImage(join(dir, `${names[1]}.mha`))
    await writeImage(
      {
        ...small,
        size: [small.size[0], small.size[1], small.size[2] - 1],
        data: small.data.slice(0, small.size[0] * small.size[1] * (small.size[2] - 1)),
      },
      join(dir, `${names[1]}.mha`),
    )
    await rm(join(dir, `${names[2]}.mha`))
    await writeImage(mask, join(dir, '9_t1.mha'))
    await mkdir(join(dir, 'sub'))
    await writeImage(mask, join(dir, 'sub', `${names[3]}.nii.gz`))
    await writeFile(join(dir, 'notes.txt'), 'mine')
    const before = await h.db.prisma.submission.count()

    const local = await cli('dave', ['submit', '--challenge', 'spine', '--phase', 'final', dir])
    expect(local.code).toBe(1)
    const localProblems = [
      `  - sub/${names[3]}.nii.gz: series "${names[3]}" already has a prediction (${names[3]}.mha)`,
      `  - 9_t1.mha: unexpected file (the test set has no series "9_t1")`,
      `  - missing prediction for series "${names[2]}"`,
      `  - ${names[0]}.mha: fractional label 1.5 at voxel (5, 0, 0): labels must be integers >= 0`,
      `  - ${names[1]}.mha: size ${small.size[0]}x${small.size[1]}x${small.size[2] - 1} ` +
        `differs from the size of test series "${names[1]}" (${small.size.join('x')})`,
    ]
    const localLines = local.err.split('\n')
    expect(localLines[1]).toBe(`spider-bench submit: the predictions have ${localProblems.length} problems (nothing was uploaded):`)
    expect(localLines[0]).toBe('ignoring 1 file that is not an image: notes.txt')
    expect(localLines.slice(2).sort()).toEqual(localProblems.sort())

    const server = await cli('dave', ['submit', '--challenge', 'spine', '--phase', 'final', '--skip-checks', dir])
    expect(server.code).toBe(1)
    const lines = server.err.split('\n')
    expect(lines[1]).toBe('spider-bench submit: the server refused the upload: the predictions have 5 problems')
    expect(lines.slice(2).sort()).toEqual(
      [
        `  - ${names[0]}.mha: fractional label 1.5 at voxel (5, 0, 0): labels must be integers >= 0`,
        `  - ${names[1]}.mha: size ${small.size[0]}x${small.size[1]}x${small.size[2] - 1} ` +
          `differs from the size of test series "${names[1]}" (${small.size.join('x')})`,
        `  - 9_t1.mha: unexpected file (the test set has no series "9_t1")`,
        `  - missing prediction for series "${names[2]}"`,
        `  - sub/${names[3]}.nii.gz: series "${names[3]}" already has a prediction (${names[3]}.mha)`,
      ].sort(),
    )
    expect(await h.db.prisma.submission.count()).toBe(before)
  })

  describe('a connection lost during the upload', () => {
    let proxy: TcpServer
    let proxyUrl: string
    /** Upload connections still to cut after CUT_AFTER bytes. */
    let cuts = 0
    const CUT_AFTER = 3000

    const sockets = new Set<Socket>()

    beforeAll(async () => {
      const target = new URL(h.url)
      proxy = createTcpServer((client) => {
        const upstream = tcpConnect(Number(target.port), target.hostname)
        sockets.add(client).add(upstream)
        let seen = 0
        let upload: boolean | null = null
        client.on('data', (chunk: Buffer) => {
          upload ??= chunk.subarray(0, 5).toString() === 'POST '
          seen += chunk.length
          if (upload && cuts > 0 && seen > CUT_AFTER) {
            cuts--
            client.destroy()
            upstream.destroy()
            return
          }
          upstream.write(chunk)
        })
        upstream.on('data', (chunk) => client.write(chunk))
        for (const s of [client, upstream]) {
          s.on('error', () => undefined)
          s.on('close', () => {
            client.destroy()
            upstream.destroy()
            sockets.delete(client)
            sockets.delete(upstream)
          })
        }
      })
      await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r))
      proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`
    })
    afterAll(async () => {
      // Keep-alive connections would hold close() until they time out.
      for (const socket of sockets) socket.destroy()
      await new Promise((r) => proxy?.close(r))
    })

    it('is retried once: the second attempt goes through', async () => {
      const archiveBytes = (
        await Promise.all(
          (await readdir(join(synthDir, 'predictions', 'good'))).map(
            async (f) => (await stat(join(synthDir, 'predictions', 'good', f))).size,
          ),
        )
      ).reduce((a, b) => a + b, 0)
      expect(archiveBytes).toBeGreaterThan(2 * CUT_AFTER)
      cuts = 1
      const run = await cli(
        'bob',
        ['submit', '--challenge', 'spine', '--phase', 'limited', '--no-wait', join(synthDir, 'predictions', 'good')],
        proxyUrl,
      )
      expect(run.code, run.err).toBe(0)
      expect(cuts).toBe(0)
      expect(run.err).toMatch(
        new RegExp(
          /^the connection was lost during the upload /.source +
            /\((connection reset \(ECONNRESET\)|connection closed by the server \(EPIPE\))\); retrying once$/.source,
          'm',
        ),
      )
      expect(run.out).toMatch(/^submitted predictions \(second attempt\): \S+$/m)
      expect(await h.db.prisma.submission.count({ where: { participantId: users.bob.id, phase: { slug: 'limited' } } })).toBe(1)
    })

    it('twice: a clear error, exit 1, nothing submitted', async () => {
      cuts = 2
      const run = await cli(
        'alice',
        ['submit', '--challenge', 'spine', '--phase', 'limited', '--no-wait', join(synthDir, 'predictions', 'good')],
        proxyUrl,
      )
      expect(run.code).toBe(1)
      expect(run.err).toMatch(
        new RegExp(
          `^spider-bench submit: the connection to ${proxyUrl} was lost during the upload twice ` +
            '\\((connection reset \\(ECONNRESET\\)|connection closed by the server \\(EPIPE\\))\\)\\. ' +
            'Check your network and the server, then run the same command again',
          'm',
        ),
      )
      expect(await h.db.prisma.submission.count({ where: { participantId: users.alice.id, phase: { slug: 'limited' } } })).toBe(0)
    })
  })

  it('logout removes the stored login', async () => {
    const file = join(work, 'config-home', 'spider-bench', 'config.json')
    expect(await runCli(['logout'])).toMatchObject({ code: 0, out: `logged out: removed ${file}` })
    await expect(stat(file)).rejects.toMatchObject({ code: 'ENOENT' })
    expect(await runCli(['submissions'])).toMatchObject({
      code: 1,
      err:
        'spider-bench submissions: not logged in (no server URL and API token): ' +
        'run "spider-bench login --url URL --token TOKEN", or set SPIDER_BENCH_URL and SPIDER_BENCH_TOKEN',
    })
  })
})
