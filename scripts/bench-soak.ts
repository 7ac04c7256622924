/**
 * `npm run bench:soak` (minutes; not part of CI): does memory grow with use? One split
 * deployment (bench-stack.ts: `serve --api-only` and --workers `worker` processes on Postgres
 * and Redis, a schema and queue prefix of their own) takes --submissions consecutive
 * submissions (200) of the realistic bench predictions on the 97-series set (--series N: the
 * first N), one participant submitting the next as soon as the previous one is final, while the
 * board reader (a child process) reads at --rate requests/s (20) the submission's status once
 * per second and the leaderboard otherwise.
 * The RSS of the API and of each worker is sampled every --interval seconds (10).
 *
 * Reports per process: the RSS over the run, mean RSS per block of 100 submissions, and the
 * growth per 100 submissions (least-squares slope of RSS against submissions done, after the
 * first 10 % as warm-up), also as a share of the RSS after the warm-up (target: within 10 %).
 * JSON (every sample) to bench-out/soak-<time>.json; logs in bench-out/soak-<time>/.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { availableParallelism, loadavg } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { benchSet, seriesOf, seriesSubset } from './lib/bench-set.ts'
import { BenchStack, startBoardReader, submitAndWait, type BoardReader, type SubmissionRun } from './lib/bench-stack.ts'
import { percentile, RssSampler, type RssSample } from './lib/processes.ts'
import { benchPredictionsArchive } from './lib/spider-api.ts'

const { values } = parseArgs({
  options: {
    submissions: { type: 'string', default: '200' },
    series: { type: 'string', default: '97' },
    workers: { type: 'string', default: '1' },
    rate: { type: 'string', default: '20' },
    interval: { type: 'string', default: '10' },
    data: { type: 'string' },
  },
  strict: true,
})
const int = (name: string, value: string | undefined, max: number) => {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`--${name}: expected an integer from 1 to ${max}, got "${value}"`)
  return n
}
const SUBMISSIONS = int('submissions', values.submissions, 100_000)
const SERIES = int('series', values.series, 10_000)
const WORKERS = int('workers', values.workers, 32)
const RATE = int('rate', values.rate, 5000)
const INTERVAL_S = int('interval', values.interval, 3600)

const log = (msg: string) => process.stderr.write(`${msg}\n`)
const stamp = new Date().toISOString().replace(/[:.]/g, '-')
const out = resolve(`bench-out/soak-${stamp}`)
await mkdir(out, { recursive: true })
const data = await seriesSubset(await benchSet(values.data), SERIES, join(out, `set-${SERIES}`))
const seriesCount = (await seriesOf(data)).length
const archive = await benchPredictionsArchive(data, join(out, 'predictions.tar.gz'))
const round1 = (n: number) => +n.toFixed(1)

const load1mBefore = loadavg()[0]
const stack = await BenchStack.start({
  dir: out,
  data,
  workers: WORKERS,
  participants: 1,
  // One row per participant: the leaderboard does not grow with the submissions.
  entries: 'latest',
  submissionLimit: { count: SUBMISSIONS, periodHours: 24 },
})
let reader: BoardReader | null = null
let sampler: RssSampler | null = null
const runs: SubmissionRun[] = []
/** When each submission became final (ms since the sampler started), to place each sample. */
const doneAt: number[] = []
let t0 = 0
try {
  log(
    `soak: ${SUBMISSIONS} submissions of ${seriesCount} series; ` +
      `API pid ${stack.api?.pid}, workers ${stack.workers.map((w) => w.pid).join(', ')}`,
  )
  const board = await startBoardReader(stack.url, `${stack.phasePath}/leaderboard`, RATE)
  reader = board
  board.start()
  sampler = new RssSampler(() => stack.processes(), INTERVAL_S * 1000)
  t0 = sampler.started
  const [token] = stack.participants
  for (let i = 1; i <= SUBMISSIONS; i++) {
    const run = await submitAndWait(stack, board, token, archive)
    runs.push(run)
    doneAt.push(performance.now() - t0)
    if (run.problem) log(`  submission ${i}: ${run.id ?? 'refused'} ${run.final ?? ''} ${run.problem}`)
    if (i % 10 === 0) {
      const now = sampler.samples.filter((s) => s.t === sampler?.samples.at(-1)?.t)
      log(
        `  ${i}/${SUBMISSIONS} after ${round1((performance.now() - t0) / 60_000)} min; ` +
          `RSS ${now.map((s) => `${s.name} ${round1(s.rssMb)} MB`).join(', ')}`,
      )
    }
  }
  const stats = await board.stop()
  await sampler.stop()
  const load1mAfter = loadavg()[0]
  await stack.close()

  // Submissions done at each sample's time; the fit leaves out the warm-up (first 10 %).
  const doneBy = (t: number) => doneAt.filter((d) => d <= t).length
  const warmup = Math.max(1, Math.round(SUBMISSIONS / 10))
  const names = [...new Set(sampler.samples.map((s) => s.name))]
  const processes = names.map((name) => {
    const samples = sampler?.samples.filter((s) => s.name === name) ?? []
    const points = samples.map((s) => ({ k: doneBy(s.t), rss: s.rssMb })).filter((p) => p.k >= warmup)
    const n = points.length
    const mk = points.reduce((a, p) => a + p.k, 0) / n
    const mr = points.reduce((a, p) => a + p.rss, 0) / n
    const slope = points.reduce((a, p) => a + (p.k - mk) * (p.rss - mr), 0) / points.reduce((a, p) => a + (p.k - mk) ** 2, 0)
    const atWarmup = mr + slope * (warmup - mk)
    const blocks: Record<string, number> = {}
    for (let from = 0; from < SUBMISSIONS; from += 100) {
      const inBlock = samples.filter((s) => doneBy(s.t) >= from && doneBy(s.t) < from + 100)
      if (inBlock.length > 0)
        blocks[`${from}-${Math.min(from + 100, SUBMISSIONS)}`] = round1(inBlock.reduce((a, s) => a + s.rssMb, 0) / inBlock.length)
    }
    return {
      name,
      samples: samples.length,
      firstRssMb: round1(samples[0]?.rssMb ?? NaN),
      lastRssMb: round1(samples.at(-1)?.rssMb ?? NaN),
      minRssMb: round1(Math.min(...samples.map((s) => s.rssMb))),
      maxRssMb: round1(Math.max(...samples.map((s) => s.rssMb))),
      peakMb: round1(Math.max(...samples.map((s) => s.peakMb))),
      meanRssPer100: blocks,
      rssAfterWarmupMb: round1(atWarmup),
      growthPer100Mb: round1(slope * 100),
      growthPer100Percent: +(((slope * 100) / atWarmup) * 100).toFixed(1),
      withinTarget: Math.abs((slope * 100) / atWarmup) <= 0.1,
    }
  })
  const cycle = runs
    .filter((r) => r.finalAt !== null)
    .map((r) => (r.finalAt as number) - r.uploadStart)
    .sort((a, b) => a - b)
  const failures = runs.filter((r) => r.problem).map((r) => `${r.id ?? 'refused'} ${r.final ?? ''} ${r.problem}`)
  const exits = Object.entries(stack.exits).filter(([, s]) => s !== '0')
  const result = {
    submissions: runs.length,
    succeeded: runs.filter((r) => r.final === 'succeeded').length,
    series: seriesCount,
    workers: WORKERS,
    minutes: +((performance.now() - t0) / 60_000).toFixed(1),
    uploadToFinalSeconds: { median: +(percentile(cycle, 50) / 1000).toFixed(2), max: +(percentile(cycle, 100) / 1000).toFixed(2) },
    sampleIntervalSeconds: INTERVAL_S,
    warmupSubmissions: warmup,
    processes,
    reads: stats,
    errors: failures.length + Object.values(stats.errors).reduce((a, b) => a + b, 0) + exits.length,
    failures: [...failures, ...exits.map(([name, s]) => `${name} exited with ${s}`)],
    cores: availableParallelism(),
    node: process.versions.node,
    loadAverage1m: { before: +load1mBefore.toFixed(2), after: +load1mAfter.toFixed(2) },
  }
  console.log(
    `\nbench:soak: ${result.succeeded}/${result.submissions} submissions of ${seriesCount} series succeeded in ${result.minutes} min ` +
      `(upload → final median ${result.uploadToFinalSeconds.median} s); reads at ${stats.achievedRate}/s, errors ${result.errors}; ` +
      `${result.cores} cores, Node ${result.node}, load average ${result.loadAverage1m.before} → ${result.loadAverage1m.after}`,
  )
  for (const p of processes)
    console.log(
      `${p.name.padEnd(9)} RSS ${p.firstRssMb} → ${p.lastRssMb} MB (min ${p.minRssMb}, max ${p.maxRssMb}, peak ${p.peakMb}); ` +
        `mean per 100 ${JSON.stringify(p.meanRssPer100)}; growth per 100 submissions ${p.growthPer100Mb} MB = ` +
        `${p.growthPer100Percent} % of ${p.rssAfterWarmupMb} MB (${p.withinTarget ? 'within' : 'OUTSIDE'} the 10 % target)`,
    )
  if (result.failures.length > 0) console.log(`failures: ${result.failures.join('; ')}`)
  const file = resolve(`bench-out/soak-${stamp}.json`)
  await writeFile(file, JSON.stringify({ ...result, samples: sampler.samples as RssSample[], doneAtMs: doneAt.map(Math.round) }, null, 2))
  console.log(`summary: ${file}`)
  if (result.errors > 0) process.exitCode = 1
} finally {
  reader?.kill()
  await sampler?.stop()
  await stack.close()
}
