/**
 * `npm run bench:server`: one `spider-bench serve` process (API + in-process worker, embedded
 * database unless DATABASE_URL is set) on this machine, the realistic 97-series synthetic
 * set (seed 1, the same data as bench:score; generated once). Measures in one run:
 * - upload → leaderboard: from the start of a prediction upload to the moment the public
 *   leaderboard lists the submission; `spider-bench score` wall time on the same files (a
 *   separate process, same cores, run before and after), and the ratio (target < 1.5);
 * - leaderboard GET latency at a fixed 500 requests/s on loopback (open loop, target p99 <
 *   20 ms), then the throughput of 32 concurrent keep-alive clients.
 * Options: --data DIR (a synth folder with images/, masks/, predictions/bench/),
 * --rate N (default 500), --seconds N (default 10).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { openAsBlob } from 'node:fs'
import { mkdir, readdir, writeFile } from 'node:fs/promises'
import { Agent, request } from 'node:http'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { randomUUID } from 'node:crypto'
import { freePort } from '../packages/cli/src/free-port.ts'
import { benchSet } from './lib/bench-set.ts'
import { SPIDER_BIN, sleep } from './lib/processes.ts'
import { benchPredictionsArchive, createBenchPhase, createUserToken, runSpider, waitReady } from './lib/spider-api.ts'

const { values } = parseArgs({
  options: { data: { type: 'string' }, rate: { type: 'string', default: '500' }, seconds: { type: 'string', default: '10' } },
  strict: true,
})
const RATE = Number(values.rate)
const SECONDS = Number(values.seconds)
if (!(RATE > 0 && RATE <= 5000) || !(SECONDS > 0 && SECONDS <= 120))
  throw new Error(`--rate must be 1..5000 and --seconds 1..120, got ${values.rate} and ${values.seconds}`)
// The bench:score data set is the same (seed 1, 39 studies, realistic): reused when present.
const data = await benchSet(values.data)
const seriesCount = (await readdir(join(data, 'masks'))).length

const work = resolve(`bench-out/server-run-${Date.now()}`)
await mkdir(work, { recursive: true })
const port = await freePort()
const url = `http://127.0.0.1:${port}`
const env = {
  ...process.env,
  DATA_DIR: join(work, 'data'),
  PORT: String(port),
  HOST: '127.0.0.1',
  SPIDER_QUEUE_PREFIX: `bench-${randomUUID()}`,
}
const log = (msg: string) => process.stderr.write(`${msg}\n`)

const run = (args: string[]) => runSpider(args, env)
const token = (name: string, role: string) => createUserToken(name, role, env)

let server: ChildProcess | null = null
try {
  const organiser = await token('organiser', 'organiser')
  const participant = await token('participant', 'participant')
  server = spawn(process.execPath, [SPIDER_BIN, 'serve'], { env, stdio: ['ignore', 'ignore', 'inherit'] })
  await waitReady(url)
  const { importMs } = await createBenchPhase(url, organiser, data, { challenge: 'bench', phase: 'final' }, env)
  log(`test set imported: ${seriesCount} series in ${(importMs / 1000).toFixed(1)} s`)

  // The participant's archive is ready before the clock starts, as it would be on their side.
  const predDir = join(data, 'predictions', 'bench')
  const archive = await benchPredictionsArchive(data, join(work, 'predictions.tar.gz'))
  const board = `/api/v1/challenges/bench/phases/final/leaderboard`
  // `score` runs right before and right after the upload: on a shared machine the load
  // changes, and the ratio uses the mean of the two.
  const scoreRun = async (tag: string) => {
    const r = await run(['score', '--truth', join(data, 'masks'), '--pred', predDir, '--out', join(work, `score-${tag}.json`)])
    if (r.code !== 0 && r.code !== 2) throw new Error(`spider-bench score failed (exit ${r.code})`)
    log(`spider-bench score (${tag}): ${(r.ms / 1000).toFixed(1)} s`)
    return r.ms
  }
  const scoreBefore = await scoreRun('before')
  const t0 = performance.now()
  const form = new FormData()
  form.append('kind', 'predictions')
  form.append('predictions', await openAsBlob(archive), 'predictions.tar.gz')
  const res = await fetch(`${url}/api/v1/challenges/bench/phases/final/submissions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${participant}` },
    body: form,
  })
  if (res.status !== 202) throw new Error(`upload: ${res.status} ${await res.text()}`)
  const { id } = (await res.json()) as { id: string }
  const accepted = performance.now() - t0
  // Poll the (cheap, cached) public board often and the submission itself rarely, so that
  // watching costs the server next to nothing.
  let listed = 0
  for (let i = 1; ; i++) {
    const b = (await (await fetch(`${url}${board}`)).json()) as { rows: Array<{ submissionId: string }> }
    if (b.rows.some((r) => r.submissionId === id)) {
      listed = performance.now() - t0
      break
    }
    if (i % 20 === 0) {
      const s = (await (
        await fetch(`${url}/api/v1/submissions/${id}`, { headers: { authorization: `Bearer ${participant}` } })
      ).json()) as { status: string; error?: string }
      if (s.status === 'failed') throw new Error(`the submission failed: ${s.error}`)
    }
    if (performance.now() - t0 > 1_800_000) throw new Error('no leaderboard update within 30 minutes')
    await sleep(100)
  }
  log(`upload → leaderboard: ${(listed / 1000).toFixed(1)} s (upload accepted after ${(accepted / 1000).toFixed(1)} s)`)

  const scoreAfter = await scoreRun('after')
  const scoreMs = (scoreBefore + scoreAfter) / 2

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
  const throughput = done / 5
  agent.destroy()

  const result = {
    series: seriesCount,
    uploadToLeaderboardSeconds: +(listed / 1000).toFixed(2),
    uploadAcceptedSeconds: +(accepted / 1000).toFixed(2),
    scoreSeconds: { before: +(scoreBefore / 1000).toFixed(2), after: +(scoreAfter / 1000).toFixed(2) },
    ratio: +(listed / scoreMs).toFixed(3),
    leaderboardGet: { ...leaderboardLoad, closedLoop32RequestsPerSecond: +throughput.toFixed(0), closedLoopErrors: errors },
    healthzGetSameLoad: healthzLoad,
    database: process.env.DATABASE_URL ? 'postgres' : 'pglite (embedded)',
    cores: (await import('node:os')).availableParallelism(),
    // Other work on the machine during the run skews every figure above.
    loadAverage1m: +(await import('node:os')).loadavg()[0].toFixed(2),
  }
  console.log(JSON.stringify(result, null, 2))
  await writeFile(join(work, 'result.json'), JSON.stringify(result, null, 2))
} finally {
  if (server && server.exitCode === null) {
    server.kill('SIGTERM')
    await new Promise((r) => server?.once('exit', r))
  }
}
