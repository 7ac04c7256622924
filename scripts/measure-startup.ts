/**
 * `npm run bench:startup`: start-up time and memory of the TypeScript sources run through tsx
 * (`source`, how every process ran before the production build) against the compiled build
 * (`build`, scripts/build.mjs), on this machine.
 *
 * - serve: `node bin/spider-bench.js serve` (embedded database, the scoring and inference
 *   workers in the process, Redis from REDIS_URL or 127.0.0.1:6379) with SPIDER_BENCH_RUNTIME
 *   set to the mode; the time from spawning it until GET /healthz answers 200 (polled every
 *   10 ms), the CPU time it used until then (all its threads: a figure that load from other
 *   processes barely moves, unlike the wall time), and its resident memory (VmRSS) then and
 *   3 s later. Each mode starts once first, not counted (it creates the database; tsx fills
 *   its transform cache), then `--runs` times on that database, the two modes taking turns.
 * - thread: the worker's scoring thread body (apps/worker processors/score-thread), loaded
 *   the way ThreadPool loads it (through tsx's thread entry, or the compiled module as it is),
 *   `--threads` threads one after another in a fresh process per run: the time until a
 *   thread has loaded its body, its V8 heap after a GC, and the process's resident memory
 *   growth per thread.
 *
 * Prints the median of the runs per mode (and each run with --verbose). Builds first when the
 * build is missing or older than the sources. Options: --runs N (default 5), --threads N
 * (default 2), --only serve|thread, --verbose.
 */
import { spawn, spawnSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { readFile, mkdtemp, rm } from 'node:fs/promises'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { buildState } from '../bin/build-state.js'
import { freePort } from '../packages/cli/src/free-port.ts'

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    threads: { type: 'string', default: '2' },
    only: { type: 'string' },
    verbose: { type: 'boolean', default: false },
  },
  strict: true,
})
const RUNS = Number(values.runs)
const THREADS = Number(values.threads)
const ROOT = resolve(import.meta.dirname, '..')
const BIN = join(ROOT, 'bin/spider-bench.js')
const MODES = ['source', 'build'] as const
type Mode = (typeof MODES)[number]
const MB = 1024 * 1024
const log = (msg: string) => process.stderr.write(`${msg}\n`)

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) / 1024
}

/** CPU time (user + system, all threads) a process has used so far, ms. */
async function cpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS
}
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100

interface ServeRun {
  readyMs: number
  /** CPU time used until /healthz answered: unlike the wall time, barely moved by other load on the machine. */
  cpuReadyMs: number
  rssReadyMb: number
  rssSettledMb: number
}

async function startServe(mode: Mode, dataDir: string): Promise<ServeRun> {
  const port = await freePort()
  const env = {
    ...process.env,
    SPIDER_BENCH_RUNTIME: mode,
    DATA_DIR: dataDir,
    DATABASE_URL: '',
    REDIS_URL: process.env.REDIS_URL || 'redis://127.0.0.1:6379',
    SPIDER_QUEUE_PREFIX: `bench-startup-${randomUUID()}`,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
  }
  const started = performance.now()
  const child = spawn(process.execPath, [BIN, 'serve'], { env, stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
  let exitCode: number | null | undefined
  void exited.then((code) => (exitCode = code))
  try {
    for (;;) {
      if (exitCode !== undefined) throw new Error(`serve (${mode}) exited with ${exitCode}:\n${stderr}`)
      if (performance.now() - started > 120_000) throw new Error(`serve (${mode}) did not answer /healthz within 120 s:\n${stderr}`)
      const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
      if (ok) break
      await sleep(10)
    }
    const readyMs = performance.now() - started
    const cpuReadyMs = await cpuMs(child.pid as number)
    const rssReadyMb = await rssMb(child.pid as number)
    await sleep(3000)
    return { readyMs, cpuReadyMs, rssReadyMb, rssSettledMb: await rssMb(child.pid as number) }
  } finally {
    child.kill('SIGINT')
    await exited
  }
}

interface ThreadRun {
  loadMs: number[]
  heapMb: number[]
  rssPerThreadMb: number
}

/** The child process of one thread run: plain JavaScript, no loader in its main thread. */
const THREAD_CHILD = `
import { Worker } from 'node:worker_threads'
const [entry, module, count] = process.argv.slice(1)
const probe = \`import { parentPort, workerData } from 'node:worker_threads'
await import(workerData.entry)
globalThis.gc()
parentPort.postMessage({ heapUsed: process.memoryUsage().heapUsed })\`
const settle = async () => { for (let i = 0; i < 3; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 50)) } }
await settle()
const base = process.memoryUsage().rss
const loadMs = [], heap = [], threads = []
for (let i = 0; i < Number(count); i++) {
  const t0 = performance.now()
  const w = new Worker(probe, { eval: true, workerData: { entry, module } })
  threads.push(w)
  const m = await new Promise((ok, fail) => {
    w.on('message', (m) => { if ('heapUsed' in m) ok(m) })
    w.once('error', fail)
  })
  loadMs.push(performance.now() - t0)
  heap.push(m.heapUsed)
}
await settle()
const rss = process.memoryUsage().rss
console.log(JSON.stringify({ loadMs, heap, rssPerThread: (rss - base) / Number(count) }))
await Promise.all(threads.map((w) => w.terminate()))
`

function threadRun(mode: Mode): ThreadRun {
  const body = (m: Mode) => join(ROOT, 'apps/worker', m === 'source' ? 'src/processors/score-thread.ts' : 'dist/processors/score-thread.js')
  const module = pathToFileURL(body(mode)).href
  // What ThreadPool does: a .ts body through thread-entry.mjs (tsx), a .js body as it is.
  const entry = mode === 'source' ? pathToFileURL(join(ROOT, 'packages/threads/src/thread-entry.mjs')).href : module
  const out = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', THREAD_CHILD, entry, module, String(THREADS)], {
    cwd: ROOT,
    encoding: 'utf8',
  })
  if (out.status !== 0) throw new Error(`thread run (${mode}) failed:\n${out.stderr}`)
  const r = JSON.parse(out.stdout) as { loadMs: number[]; heap: number[]; rssPerThread: number }
  return { loadMs: r.loadMs, heapMb: r.heap.map((h) => h / MB), rssPerThreadMb: r.rssPerThread / MB }
}

const state = buildState()
if (!state.fresh) {
  log(`measure-startup: ${state.reason}: building`)
  const built = spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { stdio: 'inherit' })
  if (built.status !== 0) process.exit(1)
}

const cpu = cpus()
const load = () => loadavg()[0].toFixed(1)
console.log(
  `machine: ${cpu.length} cores (${cpu[0]?.model.trim()}), Node ${process.version}; ${RUNS} runs per mode, medians; load ${load()}`,
)
const fmt = (x: number, digits = 0) => x.toFixed(digits)

if (values.only !== 'thread') {
  // One database per mode; the modes take turns, so that load from elsewhere hits both alike.
  const dataDirs = new Map<Mode, string>()
  const runs = new Map<Mode, ServeRun[]>(MODES.map((m) => [m, []]))
  try {
    for (const mode of MODES) {
      dataDirs.set(mode, await mkdtemp(join(tmpdir(), `spider-startup-${mode}-`)))
      await startServe(mode, dataDirs.get(mode) as string)
    }
    for (let i = 0; i < RUNS; i++) {
      for (const mode of MODES) {
        const run = await startServe(mode, dataDirs.get(mode) as string)
        runs.get(mode)?.push(run)
        if (values.verbose) log(`serve ${mode} run ${i + 1}: ${JSON.stringify(run)}`)
      }
    }
  } finally {
    await Promise.all([...dataDirs.values()].map((d) => rm(d, { recursive: true, force: true })))
  }
  console.log('serve (embedded database, scoring and inference workers): start until /healthz answers, its CPU time, its RSS')
  for (const mode of MODES) {
    const r = runs.get(mode) as ServeRun[]
    console.log(
      `  ${mode.padEnd(7)} ${fmt(median(r.map((x) => x.readyMs))).padStart(6)} ms  (runs ${r.map((x) => fmt(x.readyMs)).join(', ')})` +
        `   CPU ${fmt(median(r.map((x) => x.cpuReadyMs)))} ms  (runs ${r.map((x) => fmt(x.cpuReadyMs)).join(', ')})` +
        `   RSS ${fmt(median(r.map((x) => x.rssReadyMb)))} MB at /healthz, ${fmt(median(r.map((x) => x.rssSettledMb)))} MB 3 s later`,
    )
  }
}

if (values.only !== 'serve') {
  const runs = new Map<Mode, ThreadRun[]>(MODES.map((m) => [m, []]))
  for (const mode of MODES) threadRun(mode)
  for (let i = 0; i < RUNS; i++) {
    for (const mode of MODES) {
      const run = threadRun(mode)
      runs.get(mode)?.push(run)
      if (values.verbose) log(`thread ${mode} run ${i + 1}: ${JSON.stringify(run)}`)
    }
  }
  console.log(`scoring thread (apps/worker score-thread), ${THREADS} per process: load time, heap after GC, RSS growth`)
  for (const mode of MODES) {
    const r = runs.get(mode) as ThreadRun[]
    const loadMs = r.map((x) => median(x.loadMs))
    console.log(
      `  ${mode.padEnd(7)} load ${fmt(median(loadMs)).padStart(5)} ms  (runs ${loadMs.map((x) => fmt(x)).join(', ')})` +
        `   heap ${fmt(median(r.map((x) => median(x.heapMb))), 1)} MB` +
        `   RSS +${fmt(median(r.map((x) => x.rssPerThreadMb)), 1)} MB per thread`,
    )
  }
}
console.log(`load average at the end: ${load()}`)
