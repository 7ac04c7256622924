/**
 * `npm run bench:web`: the web pages' size and the leaderboard page's rendering time.
 * - Bundle: every file the pages load (apps/web/dist), raw and gzipped (level 9).
 * - Leaderboard with ENTRIES entries (default 200): a real server (API, PGlite, Redis at
 *   REDIS_URL or 127.0.0.1:6379) whose phase has ENTRIES participants, each with a succeeded
 *   evaluation of SERIES synthetic series results; the snapshot (ranks, bootstrap rank
 *   intervals, pairwise tests) is computed by the worker's own recomputeLeaderboard. Debian's
 *   Chromium loads /challenges/bench/phases/final on loopback; the figure is the time from
 *   navigation start until all rows are in the table (performance.now() in the page), cold
 *   (first load) and warm (the median of RUNS reloads).
 * Options: --entries N (200), --series N (12), --runs N (5), --db pglite|postgres (pglite, the
 * embedded database of `npm run demo`; postgres: DATABASE_URL or postgresql://postgres@127.0.0.1:5432/test).
 */
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { gzipSync } from 'node:zlib'
import { aggregateSeries, profileMetrics, SCORER_VERSION, type SeriesResult } from '@spider-bench/scoring'
import { recomputeLeaderboard } from '@spider-bench/evaluation'
import { startHarness } from '../apps/api/src/testing/harness.ts'
import { ensureWebBuilt, launchBrowser, REPO } from '../test/web/browser.ts'

const { values } = parseArgs({
  options: {
    entries: { type: 'string', default: '200' },
    series: { type: 'string', default: '12' },
    runs: { type: 'string', default: '5' },
    db: { type: 'string', default: 'pglite' },
  },
  strict: true,
})
const ENTRIES = Number(values.entries)
const SERIES = Number(values.series)
const RUNS = Number(values.runs)
const DB = values.db
if (
  !(ENTRIES >= 1 && ENTRIES <= 5000 && SERIES >= 2 && SERIES <= 200 && RUNS >= 1 && RUNS <= 50) ||
  (DB !== 'pglite' && DB !== 'postgres')
) {
  throw new Error('--entries 1..5000, --series 2..200, --runs 1..50, --db pglite|postgres')
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`

await ensureWebBuilt()
const assets = join(REPO, 'apps/web/dist/assets')
let rawJs = 0
let gzJs = 0
let rawAll = 0
let gzAll = 0
for (const f of await readdir(assets)) {
  const bytes = await readFile(join(assets, f))
  const gz = gzipSync(bytes, { level: 9 }).length
  rawAll += bytes.length
  gzAll += gz
  if (f.endsWith('.js')) {
    rawJs += bytes.length
    gzJs += gz
  }
}
const html = await readFile(join(REPO, 'apps/web/dist/index.html'))
rawAll += html.length
gzAll += gzipSync(html, { level: 9 }).length
console.log(`bundle: JavaScript ${kb(rawJs)} (${kb(gzJs)} gzipped; budget 150 KiB); all files ${kb(rawAll)} (${kb(gzAll)} gzipped)`)

// A phase with ENTRIES evaluated submissions.
const h = await startHarness(DB)
try {
  const db = h.db.prisma
  const org = await h.user('bench-org', 'organiser')
  const api = (method: string, path: string, body: unknown) =>
    fetch(`${h.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${org.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
  if ((await api('POST', '/api/v1/challenges', { slug: 'bench', title: 'Bench' })).status !== 201)
    throw new Error('could not create the challenge')
  const phaseRes = await api('POST', '/api/v1/challenges/bench/phases', {
    slug: 'final',
    title: 'Final',
    scoringProfile: 'spider',
    submissionKinds: ['predictions'],
    ranking: {
      method: 'mean-position',
      metrics: [
        { key: 'DiceVertebrae', order: 'desc' },
        { key: 'DiceDiscs', order: 'desc' },
        { key: 'ASDVertebrae', order: 'asc' },
      ],
      bootstrapSamples: 200,
    },
    entries: 'best',
    perSeriesVisibility: 'owner',
  })
  if (phaseRes.status !== 201) throw new Error(`could not create the phase: ${await phaseRes.text()}`)
  const phase = await db.phase.findFirstOrThrow({ where: { slug: 'final', challenge: { slug: 'bench' } } })
  const sequences = ['t1', 't2', 't2_SPACE'] as const
  const names = Array.from({ length: SERIES }, (_, i) => `${Math.floor(i / 3) + 1}_${sequences[i % 3]}`)
  const testSet = await db.testSetVersion.create({
    data: {
      phaseId: phase.id,
      version: 1,
      seriesCount: SERIES,
      series: {
        create: names.map((name, i) => ({
          name,
          sequence: sequences[i % 3],
          imageKey: `bench/${name}.mha`,
          imageSha256: '0',
          maskKey: `bench/${name}-mask.mha`,
          maskSha256: '0',
          size: [8, 64, 64],
          spacing: [1, 1, 1],
          origin: [0, 0, 0],
          direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
          labels: [1, 100, 201],
        })),
      },
    },
  })
  const keys = profileMetrics('spider')
  let seed = 12345
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
  const t0 = performance.now()
  for (let e = 0; e < ENTRIES; e++) {
    const user = await db.user.create({ data: { name: `participant-${String(e).padStart(4, '0')}`, role: 'participant' } })
    const skill = random()
    const series: SeriesResult[] = names.map((name, i) => ({
      name,
      sequence: sequences[i % 3],
      status: 'scored',
      structures: [],
      metrics: Object.fromEntries(
        keys.map((k) => [
          k.key,
          k.order === 'desc' ? Math.min(1, 0.5 + 0.45 * skill + 0.1 * (random() - 0.5)) : Math.max(0, 3 - 2.5 * skill + random()),
        ]),
      ),
    }))
    const { aggregates, bySequence } = aggregateSeries('spider', series)
    const submission = await db.submission.create({
      data: { phaseId: phase.id, participantId: user.id, kind: 'predictions', status: 'succeeded', storagePrefix: `bench/${e}` },
    })
    const evaluation = await db.evaluation.create({
      data: {
        submissionId: submission.id,
        testSetId: testSet.id,
        profile: 'spider',
        scorerVersion: SCORER_VERSION,
        status: 'succeeded',
        progressDone: SERIES,
        progressTotal: SERIES,
        aggregates: JSON.parse(JSON.stringify(aggregates)),
        bySequence: JSON.parse(JSON.stringify(bySequence)),
        startedAt: new Date(),
        finishedAt: new Date(),
      },
    })
    await db.seriesResult.createMany({
      data: series.map((s) => ({
        evaluationId: evaluation.id,
        seriesName: s.name,
        sequence: s.sequence,
        status: 'scored',
        metrics: s.metrics,
        structures: [],
      })),
    })
  }
  const t1 = performance.now()
  await recomputeLeaderboard(db, phase.id)
  const t2 = performance.now()
  const board = (await (await fetch(`${h.url}/api/v1/challenges/bench/phases/final/leaderboard`)).json()) as { rows: unknown[] }
  if (board.rows.length !== ENTRIES) throw new Error(`the board has ${board.rows.length} rows, expected ${ENTRIES}`)
  console.log(
    `data (${DB}): ${ENTRIES} entries x ${SERIES} series written in ${((t1 - t0) / 1000).toFixed(1)} s; ` +
      `snapshot with rank stability computed in ${((t2 - t1) / 1000).toFixed(1)} s`,
  )

  const browser = await launchBrowser()
  try {
    const page = await browser.page()
    const url = `${h.url}/challenges/bench/phases/final`
    type Perf = { performance: { getEntriesByType(t: string): Array<{ name: string; responseEnd: number }> } }
    /** When the board's response had arrived (ms after navigation start). */
    const boardArrived = () =>
      page.evaluate(() => {
        const perf = (globalThis as unknown as Perf).performance
        const response = perf.getEntriesByType('resource').find((e) => e.name.endsWith('/phases/final/leaderboard'))
        const mark = perf.getEntriesByType('mark').find((e) => e.name === 'leaderboard-data') as unknown as
          { startTime: number } | undefined
        return `${(response?.responseEnd ?? NaN).toFixed(0)}/${mark?.startTime.toFixed(0)}`
      })
    const rendered = async () => {
      // A function, not a string: the page's CSP forbids eval, which string predicates use.
      type Doc = { document: { querySelectorAll(selector: string): { length: number } } }
      await page.waitForFunction(
        (n) => (globalThis as unknown as Doc).document.querySelectorAll('[data-testid=leaderboard] tbody tr').length === n,
        ENTRIES,
        { polling: 'raf', timeout: 60_000 },
      )
      return (await page.evaluate('performance.now()')) as number
    }
    await page.goto(url, { waitUntil: 'commit' })
    const cold = await rendered()
    const coldBoard = await boardArrived()
    const warm: number[] = []
    const arrivals: string[] = []
    for (let i = 0; i < RUNS; i++) {
      await page.reload({ waitUntil: 'commit' })
      warm.push(await rendered())
      arrivals.push(await boardArrived())
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
    console.log(
      `leaderboard page, ${ENTRIES} entries, loopback: fully rendered ${cold.toFixed(0)} ms ` +
        `after navigation start on the first load (board data in at ${coldBoard} ms), ` +
        `median ${median(warm).toFixed(0)} ms (board data in at ${arrivals.join(', ')} ms), ` +
        `max ${Math.max(...warm).toFixed(0)} ms over ${RUNS} reloads (target < 1000 ms)`,
    )
  } finally {
    await browser.close()
  }
} finally {
  await h.close()
}
