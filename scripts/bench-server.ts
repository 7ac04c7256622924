/**
 * `npm run bench:server`: `spider-bench serve` (API + in-process worker, embedded database
 * unless DATABASE_URL is set) on this machine with the realistic 97-series synthetic set (seed
 * 1, the same data as bench:score; generated once), once per storage backend of --storage:
 * `file` (DATA_DIR/storage) and `s3` (STORAGE_URL on an s3rver bucket, s3rver in a child
 * process; loopback). Both servers run side by side (idle while the other one works), each
 * with the test set imported (`spider-bench testset import`: streamed on the file store, a
 * direct upload on S3, as the CLI chooses). Then --rounds times (default 3), the backends in
 * turn (alternating which goes first, so both see the same load of a shared machine):
 * upload → leaderboard, from the start of a prediction upload (as the CLI sends it: streamed
 * through the API on the file store, presigned PUT + complete on S3) to the moment the public
 * leaderboard lists it; the first round on S3 finds the worker's cache cold (the masks come
 * from the bucket). `spider-bench score` on the same files runs before and after (a separate
 * process, same cores): the ratio of each backend's median to its mean (target < 1.5); with
 * both backends, S3's median over the file store's (target at most 1.25). Last, on the first
 * backend, leaderboard GET latency at a fixed 500 requests/s on loopback (open loop, target
 * p99 < 20 ms) and the throughput of 32 concurrent keep-alive clients.
 * Options: --storage file|s3|both (default both), --rounds N (3), --data DIR (a synth folder
 * with images/, masks/, predictions/bench/), --rate N (default 500), --seconds N (default 10).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { openAsBlob } from 'node:fs'
import { mkdir, readdir, writeFile } from 'node:fs/promises'
import { Agent, request } from 'node:http'
import { availableParallelism, loadavg } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { randomUUID } from 'node:crypto'
import pg from 'pg'
import { parsePostgresUrl } from '../packages/db/src/database-url.ts'
import { uploadDirect } from '../packages/cli/src/direct-upload.ts'
import { freePort } from '../packages/cli/src/free-port.ts'
import { benchSet } from './lib/bench-set.ts'
import { SPIDER_BIN, sleep } from './lib/processes.ts'
import { startS3rverProcess, type S3rverProcess } from './lib/s3rver-process.ts'
import { benchPredictionsArchive, createBenchPhase, createUserToken, runSpider, waitReady } from './lib/spider-api.ts'

const { values } = parseArgs({
  options: {
    storage: { type: 'string', default: 'both' },
    data: { type: 'string' },
    rate: { type: 'string', default: '500' },
    seconds: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
  },
  strict: true,
})
const RATE = Number(values.rate)
const SECONDS = Number(values.seconds)
if (!(RATE > 0 && RATE <= 5000) || !(SECONDS > 0 && SECONDS <= 120))
  throw new Error(`--rate must be 1..5000 and --seconds 1..120, got ${values.rate} and ${values.seconds}`)
const ROUNDS = Number(values.rounds)
if (!Number.isInteger(ROUNDS) || ROUNDS < 1 || ROUNDS > 20) throw new Error(`--rounds must be 1..20, got ${values.rounds}`)
const STORAGE = { file: ['file'], s3: ['s3'], both: ['file', 's3'] }[values.storage as string] as Array<'file' | 's3'> | undefined
if (!STORAGE) throw new Error(`--storage must be file, s3 or both, got "${values.storage}"`)
// The bench:score data set is the same (seed 1, 39 studies, realistic): reused when present.
const data = await benchSet(values.data)
const seriesCount = (await readdir(join(data, 'masks'))).length

const work = resolve(`bench-out/server-run-${Date.now()}`)
await mkdir(work, { recursive: true })
const log = (msg: string) => process.stderr.write(`${msg}\n`)
const seconds = (ms: number) => +(ms / 1000).toFixed(2)
const board = `/api/v1/challenges/bench/phases/final/leaderboard`
const predDir = join(data, 'predictions', 'bench')
// The participant's archive is ready before the clock starts, as it would be on their side.
const archive = await benchPredictionsArchive(data, join(work, 'predictions.tar.gz'))

/** `spider-bench score` on the same files (a separate process, same cores): its wall time. */
async function scoreRun(env: NodeJS.ProcessEnv, tag: string): Promise<number> {
  const r = await runSpider(['score', '--truth', join(data, 'masks'), '--pred', predDir, '--out', join(work, `score-${tag}.json`)], env)
  if (r.code !== 0 && r.code !== 2) throw new Error(`spider-bench score failed (exit ${r.code})`)
  log(`spider-bench score (${tag}): ${(r.ms / 1000).toFixed(1)} s`)
  return r.ms
}

/** The participant's upload as the CLI sends it: streamed through the API, or straight to the bucket. */
async function upload(url: string, participant: string, direct: boolean): Promise<string> {
  const path = '/api/v1/challenges/bench/phases/final/submissions'
  if (direct) {
    const res = await uploadDirect(url, participant, `${path}/uploads`, { kind: 'predictions' }, archive)
    if (!res || res.status !== 202) throw new Error(`direct upload: ${res ? `${res.status} ${JSON.stringify(res.body)}` : 'not offered'}`)
    return (res.body as { id: string }).id
  }
  const form = new FormData()
  form.append('kind', 'predictions')
  form.append('predictions', await openAsBlob(archive), 'predictions.tar.gz')
  const res = await fetch(`${url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${participant}` }, body: form })
  if (res.status !== 202) throw new Error(`upload: ${res.status} ${await res.text()}`)
  return ((await res.json()) as { id: string }).id
}

/** From the upload's start to the first leaderboard read that lists the submission. */
async function uploadToLeaderboard(url: string, participant: string, direct: boolean): Promise<{ acceptedMs: number; listedMs: number }> {
  const t0 = performance.now()
  const id = await upload(url, participant, direct)
  const acceptedMs = performance.now() - t0
  // Poll the (cheap, cached) public board often and the submission itself rarely, so that
  // watching costs the server next to nothing.
  for (let i = 1; ; i++) {
    const b = (await (await fetch(`${url}${board}`)).json()) as { rows: Array<{ submissionId: string }> }
    if (b.rows.some((r) => r.submissionId === id)) return { acceptedMs, listedMs: performance.now() - t0 }
    if (i % 20 === 0) {
      const s = (await (
        await fetch(`${url}/api/v1/submissions/${id}`, { headers: { authorization: `Bearer ${participant}` } })
      ).json()) as { status: string; error?: string }
      if (s.status === 'failed') throw new Error(`the submission failed: ${s.error}`)
    }
    if (performance.now() - t0 > 1_800_000) throw new Error('no leaderboard update within 30 minutes')
    await sleep(100)
  }
}

/** Leaderboard GET latency at a fixed rate (open loop), /healthz under the same load, and 32 clients back to back. */
async function getLoad(url: string) {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 })
  const get = (path: string) =>
    new Promise<number>((ok, fail) => {
      const start = performance.now()
      const req = request(`${url}${path}`, { agent }, (r) => {
        r.resume()
        r.on('end', () => (r.statusCode === 200 ? ok(performance.now() - start) : fail(new Error(`status ${r.statusCode}`))))
      })
      req.on('error', fail)
      req.end()
    })
  for (let i = 0; i < 200; i++) await get(board) // warm up connections and JIT

  /** Open loop: requests leave on schedule whether or not earlier ones returned. */
  async function openLoop(path: string, seconds = SECONDS) {
    const latencies: number[] = []
    let failed = 0
    const total = RATE * seconds
    const loadStart = performance.now()
    const inflight: Promise<void>[] = []
    for (let i = 0; i < total; i++) {
      const due = loadStart + (i * 1000) / RATE
      const wait = due - performance.now()
      if (wait > 1) await sleep(wait)
      inflight.push(
        get(path).then(
          (ms) => void latencies.push(ms),
          () => void failed++,
        ),
      )
    }
    await Promise.all(inflight)
    const loadMs = performance.now() - loadStart
    latencies.sort((a, b) => a - b)
    const pct = (p: number) => +latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)].toFixed(2)
    return {
      targetRate: RATE,
      achievedRate: +((latencies.length / loadMs) * 1000).toFixed(1),
      requests: latencies.length,
      errors: failed,
      p50Ms: pct(50),
      p90Ms: pct(90),
      p99Ms: pct(99),
      over20Ms: latencies.filter((ms) => ms > 20).length,
      maxMs: pct(100),
    }
  }
  // Unmeasured first seconds at the same rate: the server settles after the evaluation
  // (garbage collection of the upload's buffers, JIT) before the measured run.
  await openLoop(board, 3)
  const leaderboardLoad = await openLoop(board)
  // The same load on /healthz (no database, no work): what this machine allows right now.
  const healthzLoad = await openLoop('/healthz')

  // Closed loop: 32 clients back to back for 5 s.
  let done = 0
  let errors = 0
  const until = performance.now() + 5000
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (performance.now() < until) {
        await get(board).then(
          () => void done++,
          () => void errors++,
        )
      }
    }),
  )
  agent.destroy()
  return {
    leaderboardGet: { ...leaderboardLoad, closedLoop32RequestsPerSecond: +(done / 5).toFixed(0), closedLoopErrors: errors },
    healthzGetSameLoad: healthzLoad,
  }
}

interface Stack {
  readonly storage: 'file' | 's3'
  readonly url: string
  readonly importMs: number
  /** One participant per round (one active submission each). */
  readonly participants: string[]
  readonly env: NodeJS.ProcessEnv
  stop(): Promise<void>
}

/** A fresh server on one backend (and its bucket), the phase, the test set imported, ROUNDS participants. */
async function startStack(storage: 'file' | 's3'): Promise<Stack> {
  const dir = join(work, storage)
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  // A schema of its own on a shared Postgres; the embedded database lives in DATA_DIR.
  const schema = `bench_${randomUUID().replace(/-/g, '').slice(0, 12)}`
  const base = process.env.DATABASE_URL
  let s3: S3rverProcess | null = null
  let server: ChildProcess | null = null
  const stop = async () => {
    if (server && server.exitCode === null) {
      const stopped = new Promise((r) => server?.once('exit', r))
      server.kill('SIGTERM')
      await stopped
    }
    s3?.stop()
    if (base) {
      const client = new pg.Client({ connectionString: parsePostgresUrl(base).connectionString })
      await client.connect()
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).finally(() => client.end())
    }
  }
  try {
    if (storage === 's3') s3 = await startS3rverProcess(join(dir, 's3rver'))
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATA_DIR: join(dir, 'data'),
      PORT: String(port),
      HOST: '127.0.0.1',
      SPIDER_QUEUE_PREFIX: `bench-${randomUUID()}`,
      ...(base ? { DATABASE_URL: `${base}${base.includes('?') ? '&' : '?'}schema=${schema}` } : {}),
      ...(s3 ? s3.env('spider') : {}),
    }
    log(`\n== ${storage}${s3 ? ` (s3rver at ${s3.endpoint}, in its own process)` : ' (DATA_DIR/storage)'}`)
    // Before the server starts: the embedded database then belongs to it.
    const organiser = await createUserToken('organiser', 'organiser', env)
    const participants: string[] = []
    for (let i = 1; i <= ROUNDS; i++) participants.push(await createUserToken(`participant-${i}`, 'participant', env))
    server = spawn(process.execPath, [SPIDER_BIN, 'serve'], { env, stdio: ['ignore', 'ignore', 'inherit'] })
    await waitReady(url)
    const { importMs } = await createBenchPhase(url, organiser, data, { challenge: 'bench', phase: 'final' }, env)
    log(`test set imported: ${seriesCount} series in ${(importMs / 1000).toFixed(1)} s`)
    return { storage, url, importMs, participants, env, stop }
  } catch (err) {
    await stop()
    throw err
  }
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((x, y) => x - y)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

const stacks: Stack[] = []
try {
  for (const storage of STORAGE) stacks.push(await startStack(storage))
  // `score` runs right before and right after the uploads: on a shared machine the load
  // changes, and the ratio uses the mean of the two. The backends take turns, in alternating
  // order, so that both see the same load; the first round on S3 finds the worker's cache
  // cold (the masks come from the bucket), later rounds warm.
  log('')
  const scoreBefore = await scoreRun(stacks[0].env, 'before')
  const runs: Record<string, Array<{ acceptedMs: number; listedMs: number }>> = Object.fromEntries(STORAGE.map((k) => [k, []]))
  for (let round = 0; round < ROUNDS; round++) {
    for (const stack of round % 2 === 0 ? stacks : [...stacks].reverse()) {
      const run = await uploadToLeaderboard(stack.url, stack.participants[round], stack.storage === 's3')
      runs[stack.storage].push(run)
      log(
        `round ${round + 1}, ${stack.storage}: upload → leaderboard ${seconds(run.listedMs)} s ` +
          `(upload accepted after ${seconds(run.acceptedMs)} s)`,
      )
    }
  }
  const scoreAfter = await scoreRun(stacks[0].env, 'after')
  const scoreMs = (scoreBefore + scoreAfter) / 2
  const gets = await getLoad(stacks[0].url)
  const backends = Object.fromEntries(
    stacks.map((stack) => {
      const listed = runs[stack.storage].map((r) => r.listedMs)
      return [
        stack.storage,
        {
          upload: stack.storage === 's3' ? 'direct (presigned PUT, then complete)' : 'streamed through the API',
          testSetImportSeconds: seconds(stack.importMs),
          uploadToLeaderboardSeconds: { median: seconds(median(listed)), rounds: listed.map(seconds) },
          uploadAcceptedSeconds: { median: seconds(median(runs[stack.storage].map((r) => r.acceptedMs))) },
          ratio: +(median(listed) / scoreMs).toFixed(3),
        },
      ]
    }),
  )
  const s3OverFile =
    runs.file && runs.s3
      ? {
          median: +(median(runs.s3.map((r) => r.listedMs)) / median(runs.file.map((r) => r.listedMs))).toFixed(3),
          firstRound: +(runs.s3[0].listedMs / runs.file[0].listedMs).toFixed(3),
        }
      : undefined
  const result = {
    series: seriesCount,
    rounds: ROUNDS,
    scoreSeconds: { before: seconds(scoreBefore), after: seconds(scoreAfter) },
    backends,
    ...(s3OverFile ? { s3OverFile } : {}),
    [`${stacks[0].storage}Server`]: gets,
    database: process.env.DATABASE_URL ? 'postgres' : 'pglite (embedded)',
    cores: availableParallelism(),
    // Other work on the machine during the run skews every figure above.
    loadAverage1m: +loadavg()[0].toFixed(2),
  }
  console.log(JSON.stringify(result, null, 2))
  await writeFile(join(work, 'result.json'), JSON.stringify(result, null, 2))
} finally {
  for (const stack of stacks) await stack.stop()
}
