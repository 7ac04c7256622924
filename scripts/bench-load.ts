/**
 * `npm run bench:load`: the last hour before a deadline. A split deployment (bench-stack.ts:
 * `serve --api-only` and W `worker` processes on Postgres and Redis, a schema and queue prefix
 * of their own) with the realistic synthetic test set (bench-set.ts, 97 series); P participants
 * each submit the bench predictions (realistic errors) one after another as fast as the rules
 * allow: one active submission per participant, so the next upload leaves as soon as the
 * previous submission is read as final; the phase's limit (1000 per 24 h, or --rounds) never
 * binds. Uploads start during a window of --minutes; every accepted submission is then followed
 * to the leaderboard. Meanwhile a second process reads at a fixed rate (--rate) the status of
 * each submission not yet final once per --status-every ms (a participant's client polling it)
 * and the public leaderboard with every other request. Repeated for each worker count of
 * --workers, each on a fresh stack.
 *
 * Prints per worker count: submissions per minute (succeeded, over the time from the first
 * upload to the last leaderboard listing), upload-to-leaderboard time (upload start to the first
 * leaderboard read that lists it: median, p95, max), leaderboard and status GET latency during
 * the load (p50, p99), peak RSS (VmHWM) of the API and of the workers during the load, and the
 * errors (non-2xx answers by status, failed submissions; must be 0); then a table, and a JSON
 * summary to bench-out/load-<time>.json (logs of every process in bench-out/load-<time>/).
 *
 * Options: --participants N (20), --minutes M (upload window per worker count, 2), --rounds N
 * (at most N submissions per participant; none), --workers LIST (1,2,4), --rate N (200),
 * --status-every MS (1000), --series N (97: the first N series of the set), --concurrency N
 * (each worker's scoring threads; default the number of cores), --data DIR, --quick (4
 * participants, 0.5 minutes, 12 series, workers 1,2, rate 100; explicit options win).
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { availableParallelism, loadavg } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { benchSet, seriesOf, seriesSubset } from './lib/bench-set.ts'
import { BenchStack, startBoardReader, submitAndWait, type BoardReader, type SubmissionRun } from './lib/bench-stack.ts'
import { percentile, resetPeak, RssSampler } from './lib/processes.ts'
import { benchPredictionsArchive } from './lib/spider-api.ts'

const { values } = parseArgs({
  options: {
    participants: { type: 'string' },
    minutes: { type: 'string' },
    rounds: { type: 'string' },
    workers: { type: 'string' },
    rate: { type: 'string' },
    'status-every': { type: 'string', default: '1000' },
    series: { type: 'string' },
    concurrency: { type: 'string' },
    data: { type: 'string' },
    quick: { type: 'boolean', default: false },
  },
  strict: true,
})
const quick = values.quick === true
const int = (name: string, value: string | undefined, fallback: number, max: number) => {
  const n = Number(value ?? fallback)
  if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`--${name}: expected an integer from 1 to ${max}, got "${value}"`)
  return n
}
const PARTICIPANTS = int('participants', values.participants, quick ? 4 : 20, 500)
const ROUNDS = values.rounds === undefined ? null : int('rounds', values.rounds, 1, 1000)
const MINUTES = Number(values.minutes ?? (quick ? 0.5 : 2))
if (!(MINUTES > 0 && MINUTES <= 600)) throw new Error(`--minutes: expected a number above 0 and at most 600, got "${values.minutes}"`)
const RATE = int('rate', values.rate, quick ? 100 : 200, 5000)
const STATUS_EVERY_MS = int('status-every', values['status-every'], 1000, 600_000)
const SERIES = int('series', values.series, quick ? 12 : 97, 10_000)
const CONCURRENCY = values.concurrency === undefined ? undefined : int('concurrency', values.concurrency, 1, 64)
const WORKERS = (values.workers ?? (quick ? '1,2' : '1,2,4')).split(',').map((w) => int('workers', w, 1, 32))

const log = (msg: string) => process.stderr.write(`${msg}\n`)
const stamp = new Date().toISOString().replace(/[:.]/g, '-')
const out = resolve(`bench-out/load-${stamp}`)
await mkdir(out, { recursive: true })
const full = await benchSet(values.data)
const data = await seriesSubset(full, SERIES, join(out, `set-${SERIES}`))
const seriesCount = (await seriesOf(data)).length
const archive = await benchPredictionsArchive(data, join(out, 'predictions.tar.gz'))
const seconds = (ms: number) => +(ms / 1000).toFixed(2)

interface Submission extends SubmissionRun {
  readonly participant: number
  readonly round: number
  listedAt: number | null
}

async function runWith(workers: number) {
  const load1mBefore = loadavg()[0]
  log(
    `\n== ${workers} worker process${workers === 1 ? '' : 'es'}: ` +
      `${PARTICIPANTS} participants submitting ${seriesCount} series for ${MINUTES} min${ROUNDS ? ` (at most ${ROUNDS} each)` : ''}`,
  )
  const stack = await BenchStack.start({
    dir: join(out, `workers-${workers}`),
    data,
    workers,
    concurrency: CONCURRENCY,
    participants: PARTICIPANTS,
    entries: 'all',
    // The rules allow every submission of the run (--rounds: exactly that many, no more).
    submissionLimit: { count: ROUNDS ?? 1000, periodHours: 24 },
  })
  let reader: BoardReader | null = null
  try {
    log(
      `stack up: API ${stack.url} (pid ${stack.api?.pid}), workers ${stack.workers.map((w) => w.pid).join(', ')}; ` +
        `test set imported in ${seconds(stack.importMs)} s`,
    )
    const board = await startBoardReader(stack.url, `${stack.phasePath}/leaderboard`, RATE, STATUS_EVERY_MS)
    reader = board
    // Peaks of the load itself, not of the test set's import before it.
    const peaksReset = (await Promise.all(stack.processes().map((p) => resetPeak(p.pid)))).every(Boolean)
    const sampler = new RssSampler(() => stack.processes(), 1000)
    const submissions: Submission[] = []
    const failures: string[] = []
    board.start()
    const t0 = performance.timeOrigin + performance.now()
    const windowEnd = t0 + MINUTES * 60_000
    await Promise.all(
      stack.participants.map(async (token, p) => {
        for (let round = 1; round <= (ROUNDS ?? Infinity) && performance.timeOrigin + performance.now() < windowEnd; round++) {
          const s: Submission = { participant: p + 1, round, listedAt: null, ...(await submitAndWait(stack, board, token, archive)) }
          submissions.push(s)
          const what = `participant ${p + 1} round ${round}`
          if (s.problem) failures.push(`${what}: ${s.id ?? 'no submission'} ${s.final ?? ''} ${s.problem}`)
          if (s.finalAt) log(`  ${what}: ${s.final} ${seconds(s.finalAt - s.uploadStart)} s after the upload started`)
        }
      }),
    )
    // The leaderboard lists a succeeded submission once its snapshot is written and read.
    for (const s of submissions) {
      if (s.final !== 'succeeded' || !s.id) continue
      s.listedAt = await board.listed(s.id, 120_000).catch(() => {
        failures.push(`submission ${s.id} succeeded but was not on the leaderboard within 120 s`)
        return null
      })
    }
    const tEnd = Math.max(...submissions.map((s) => Math.max(s.listedAt ?? 0, s.finalAt ?? 0)))
    const stats = await board.stop()
    await sampler.stop()
    const load1mAfter = loadavg()[0]
    await stack.close()
    for (const [name, status] of Object.entries(stack.exits))
      if (status !== '0') failures.push(`${name} exited with ${status} on SIGTERM (see ${join(out, `workers-${workers}`)})`)

    const succeeded = submissions.filter((s) => s.final === 'succeeded')
    const toBoard = succeeded
      .filter((s) => s.listedAt !== null)
      .map((s) => (s.listedAt as number) - s.uploadStart)
      .sort((a, b) => a - b)
    const accepted = submissions
      .filter((s) => s.httpStatus === 202)
      .map((s) => s.answerMs)
      .sort((a, b) => a - b)
    const httpErrors = Object.values(stats.errors).reduce((a, b) => a + b, 0)
    const refused: Record<string, number> = {}
    for (const s of submissions) if (s.httpStatus !== 202) refused[`upload ${s.httpStatus}`] = (refused[`upload ${s.httpStatus}`] ?? 0) + 1
    const result = {
      workers,
      workerConcurrency: CONCURRENCY ?? `default (${availableParallelism()})`,
      submissions: submissions.length,
      succeeded: succeeded.length,
      perParticipant: {
        min: Math.min(...stack.participants.map((_, p) => submissions.filter((s) => s.participant === p + 1).length)),
        max: Math.max(...stack.participants.map((_, p) => submissions.filter((s) => s.participant === p + 1).length)),
      },
      minutes: +((tEnd - t0) / 60_000).toFixed(2),
      submissionsPerMinute: +(succeeded.length / ((tEnd - t0) / 60_000)).toFixed(2),
      uploadAcceptedSeconds: {
        median: seconds(percentile(accepted, 50)),
        p95: seconds(percentile(accepted, 95)),
        max: seconds(percentile(accepted, 100)),
      },
      uploadToLeaderboardSeconds: {
        median: seconds(percentile(toBoard, 50)),
        p95: seconds(percentile(toBoard, 95)),
        max: seconds(percentile(toBoard, 100)),
      },
      reads: stats,
      apiPeakRssMb: +sampler.peakMb((n) => n === 'api').toFixed(1),
      workerPeakRssMb: +sampler.peakMb((n) => n.startsWith('worker')).toFixed(1),
      workersPeakRssSumMb: +stack.workers.reduce((sum, w) => sum + sampler.peakMb((n) => n === w.name), 0).toFixed(1),
      // false: the peaks include the test set's import (clear_refs refused)
      peaksOfLoadOnly: peaksReset,
      errors: httpErrors + failures.length,
      errorsByStatus: { ...stats.errors, ...refused },
      failures,
      testSetImportSeconds: seconds(stack.importMs),
      loadAverage1m: { before: +load1mBefore.toFixed(2), after: +load1mAfter.toFixed(2) },
    }
    log(
      `${workers} worker(s): ${result.succeeded}/${result.submissions} succeeded in ${result.minutes} min ` +
        `= ${result.submissionsPerMinute}/min; ` +
        `upload → leaderboard median ${result.uploadToLeaderboardSeconds.median} s, p95 ${result.uploadToLeaderboardSeconds.p95} s, ` +
        `max ${result.uploadToLeaderboardSeconds.max} s; ` +
        `leaderboard GET p50 ${stats.leaderboard.p50Ms} ms p99 ${stats.leaderboard.p99Ms} ms (${stats.achievedRate} req/s); ` +
        `peak RSS API ${result.apiPeakRssMb} MB, worker ${result.workerPeakRssMb} MB; errors ${result.errors}` +
        (result.errors > 0 ? ` ${JSON.stringify(result.errorsByStatus)} ${failures.join('; ')}` : ''),
    )
    return result
  } finally {
    reader?.kill()
    await stack.close()
  }
}

const results = []
for (const w of WORKERS) results.push(await runWith(w))

const rows = [
  [
    'workers',
    'subs',
    'subs/min',
    'upload→board median',
    'p95',
    'max',
    'board p50',
    'board p99',
    'status p99',
    'reads/s',
    'API MB',
    'worker MB',
    'errors',
  ],
  ...results.map((r) => [
    String(r.workers),
    `${r.succeeded}/${r.submissions}`,
    String(r.submissionsPerMinute),
    `${r.uploadToLeaderboardSeconds.median} s`,
    `${r.uploadToLeaderboardSeconds.p95} s`,
    `${r.uploadToLeaderboardSeconds.max} s`,
    `${r.reads.leaderboard.p50Ms} ms`,
    `${r.reads.leaderboard.p99Ms} ms`,
    `${r.reads.status.p99Ms} ms`,
    String(r.reads.achievedRate),
    String(r.apiPeakRssMb),
    String(r.workerPeakRssMb),
    r.errors === 0 ? '0' : `${r.errors} ${JSON.stringify(r.errorsByStatus)}`,
  ]),
]
const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)))
console.log(
  `\nbench:load: ${PARTICIPANTS} participants, uploads for ${MINUTES} min${ROUNDS ? ` (at most ${ROUNDS} each)` : ''}, ` +
    `${seriesCount} series, reads at ${RATE}/s (status every ${STATUS_EVERY_MS} ms); ` +
    `${availableParallelism()} cores, Node ${process.versions.node}, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
)
for (const r of rows) console.log(r.map((cell, c) => cell.padEnd(widths[c])).join('  '))
const summary = {
  participants: PARTICIPANTS,
  minutes: MINUTES,
  rounds: ROUNDS,
  series: seriesCount,
  rate: RATE,
  statusEveryMs: STATUS_EVERY_MS,
  cores: availableParallelism(),
  node: process.versions.node,
  loadAverage: loadavg().map((l) => +l.toFixed(2)),
  results,
}
const file = resolve(`bench-out/load-${stamp}.json`)
await writeFile(file, JSON.stringify(summary, null, 2))
console.log(`summary: ${file}`)
if (results.some((r) => r.errors > 0)) process.exitCode = 1
