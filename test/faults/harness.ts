/**
 * The fault suite's bench: private Postgres and Redis (services.ts), `spider-bench serve
 * --api-only` and `spider-bench worker` as separate processes (bin/spider-bench.js, as an
 * operator runs them) with their own DATA_DIR and queue prefix, users created as the README
 * says (the first admin with `users create`, everyone else through POST /api/v1/users), a
 * challenge with a small synthetic test set, and submissions through real HTTP.
 */
import { randomUUID } from 'node:crypto'
import { openAsBlob } from 'node:fs'
import { appendFile, mkdir, readdir } from 'node:fs/promises'
import type { ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { Queue } from 'bullmq'
import { Redis } from 'ioredis'
import { finalizeJobId, QUEUE_NAMES, queueName } from '@spider-bench/contracts'
import { openDatabase, type Database } from '@spider-bench/db'
import { synthesize } from '@spider-bench/synth'
import { predictionsArchive, ROOT, runCliToEnd, SERVING, testSetArchive } from '../single-machine.ts'
import { mountTmpfs, spawnRegistered, startServices, type Services } from './services.ts'

const BIN = join(ROOT, 'bin', 'spider-bench.js')
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
export const FINAL = ['succeeded', 'failed', 'cancelled']

/** Polls `fn` every `everyMs` until it returns a truthy value; throws naming `what` after `timeoutMs`. */
export async function until<T>(
  what: string,
  fn: () => Promise<T | null | undefined | false>,
  timeoutMs = 120_000,
  everyMs = 100,
): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const value = await fn()
    if (value) return value
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(everyMs)
  }
}

/** A spider-bench process: its output is kept (shown when a test fails), never printed. */
export interface SpiderProcess {
  readonly name: string
  readonly pid: number
  readonly child: ChildProcess
  output(): string
  /** Resolves with the first match of `pattern` in stdout; rejects when the process exits first. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>
  exited(): boolean
  /** Resolves when the process has exited. */
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** SIGTERM (a clean stop), then the exit status; SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

export interface PhaseSetup {
  readonly challenge: string
  readonly phase: string
  /** /api/v1/challenges/C/phases/P */
  readonly path: string
  readonly phaseId: string
  /** The organiser's token. */
  readonly organiser: string
  readonly seriesNames: string[]
  /** Folder of each named prediction set (synth --predictions NAME=SPEC). */
  readonly predictions: Record<string, string>
}

export interface BenchOptions {
  /** Extra environment of every spider-bench process (WORKER_LOCK_MS, ...). */
  readonly env?: Record<string, string>
  /** DATA_DIR on a tmpfs of this many MB (root, where mounts are allowed); see `dataVolume`. */
  readonly dataVolumeMb?: number
}

export interface Accepted {
  readonly id: string
  readonly participant: string
}

/** An upload whose body is held back (FaultBench.startUpload). */
export interface InFlightUpload {
  readonly response: Promise<Answer>
  /** Sends the rest of the body. */
  finish(): void
  /** Drops the connection. */
  abort(): void
}

/** Answer of a request: status, Retry-After, parsed body. */
export interface Answer<T = unknown> {
  readonly status: number
  readonly retryAfter: string | null
  readonly body: T
}

export class FaultBench {
  readonly prefix = `faults-${randomUUID().slice(0, 8)}`
  readonly dataDir: string
  apiProcess: SpiderProcess | null = null
  url = ''
  readonly workers: SpiderProcess[] = []
  private readonly processes: SpiderProcess[] = []
  adminToken = ''
  /** Whether DATA_DIR is the small tmpfs asked for (BenchOptions.dataVolumeMb). */
  dataVolume = false
  readonly tokens: Record<string, string> = {}
  private counter = 0

  private constructor(
    readonly services: Services,
    readonly db: Database,
    readonly redis: Redis,
    private readonly options: BenchOptions,
  ) {
    this.dataDir = join(services.dir, 'data')
  }

  /** Private services, the database migrated and the first admin created with `users create`. */
  static async start(options: BenchOptions = {}): Promise<FaultBench> {
    const services = await startServices()
    try {
      const dataVolume = options.dataVolumeMb !== undefined && (await mountTmpfs(join(services.dir, 'data'), options.dataVolumeMb))
      const env = FaultBench.baseEnv(services, join(services.dir, 'data'), options)
      const admin = await runCliToEnd(['users', 'create', '--name', 'admin', '--role', 'admin'], env)
      if (admin.code !== 0) throw new Error(`users create failed (${admin.code}): ${admin.err}`)
      const db = await openDatabase({ databaseUrl: services.postgres.url, dataDir: join(services.dir, 'data'), migrate: false })
      const redis = new Redis(services.redis.url, { maxRetriesPerRequest: null, lazyConnect: true })
      redis.on('error', () => undefined)
      await redis.connect()
      const bench = new FaultBench(services, db, redis, options)
      bench.dataVolume = dataVolume
      bench.adminToken = admin.out.trim().split('\n').at(-1) ?? ''
      return bench
    } catch (err) {
      await services.close()
      throw err
    }
  }

  private static baseEnv(services: Services, dataDir: string, options: BenchOptions, prefix = ''): NodeJS.ProcessEnv {
    return {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TMPDIR: process.env.TMPDIR,
      DATABASE_URL: services.postgres.url,
      REDIS_URL: services.redis.url,
      DATA_DIR: dataDir,
      SPIDER_QUEUE_PREFIX: prefix,
      // Lines the bench waits for ("spider-bench API on ...", "workers started") are info lines.
      LOG_LEVEL: 'info',
      ...options.env,
    }
  }

  get env(): NodeJS.ProcessEnv {
    return FaultBench.baseEnv(this.services, this.dataDir, this.options, this.prefix)
  }

  /** Runs `node bin/spider-bench.js ARGS` as a registered child process. */
  spawn(name: string, args: string[], env: Record<string, string> = {}): SpiderProcess {
    const child = spawnRegistered(this.services.dir, process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { ...this.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    let err = ''
    child.stdout?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-2_000_000)))
    child.stderr?.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-200_000)))
    let done = false
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => {
        done = true
        resolve({ code, signal })
      }),
    )
    const proc: SpiderProcess = {
      name,
      pid: child.pid ?? -1,
      child,
      output: () => `${out}\n${err}`,
      exited: () => done,
      exit,
      async waitFor(pattern, timeoutMs = 120_000) {
        const end = Date.now() + timeoutMs
        for (;;) {
          const match = pattern.exec(out)
          if (match) return match
          if (done) throw new Error(`${name} exited before printing ${pattern}:\n${out.slice(-5000)}\n${err.slice(-5000)}`)
          if (Date.now() > end)
            throw new Error(`${name} did not print ${pattern} within ${timeoutMs} ms:\n${out.slice(-5000)}\n${err.slice(-5000)}`)
          await sleep(50)
        }
      },
      async stop(graceMs = 60_000) {
        if (!done) child.kill('SIGTERM')
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
        const status = await exit
        clearTimeout(timer)
        return status
      },
    }
    this.processes.push(proc)
    return proc
  }

  /** `serve --api-only` on a free port; resolves once it listens. */
  async startApi(env: Record<string, string> = {}): Promise<SpiderProcess> {
    const api = this.spawn(`api#${++this.counter}`, ['serve', '--api-only', '--port', '0'], env)
    this.url = (await api.waitFor(SERVING))[1]
    this.apiProcess = api
    return api
  }

  /** `worker [--inference] --concurrency N`; resolves once its queues are open. */
  async startWorker(options: { inference?: boolean; concurrency?: number; env?: Record<string, string> } = {}): Promise<SpiderProcess> {
    const args = ['worker', '--concurrency', String(options.concurrency ?? 1), ...(options.inference ? ['--inference'] : [])]
    const worker = this.spawn(`worker#${++this.counter}`, args, options.env)
    await worker.waitFor(/"msg":"workers started"/)
    this.workers.push(worker)
    return worker
  }

  /** Logs of every process so far (for a failed test). */
  logs(maxPerProcess = 20_000): string {
    return this.processes.map((p) => `--- ${p.name} (pid ${p.pid}) ---\n${p.output().slice(-maxPerProcess)}`).join('\n')
  }

  // ------------------------------------------------------------------ HTTP

  async request<T = unknown>(token: string | null, method: string, path: string, body?: unknown): Promise<Answer<T>> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    })
    const text = await res.text()
    let parsed: unknown = text
    try {
      parsed = text ? JSON.parse(text) : null
    } catch {
      // not JSON
    }
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body: parsed as T }
  }

  /** A user created through POST /api/v1/users with the admin's token; returns the token. */
  async user(name: string, role: 'organiser' | 'participant'): Promise<string> {
    const res = await this.request<{ token: string }>(this.adminToken, 'POST', '/api/v1/users', { name, role })
    if (res.status !== 201) throw new Error(`POST /api/v1/users ${name}: ${res.status} ${JSON.stringify(res.body)}`)
    this.tokens[name] = res.body.token
    return res.body.token
  }

  /**
   * An organiser, a challenge and a phase whose hidden test set is `studies` synthetic small
   * studies (about 2.5 series each), with one prediction set per `predictions` entry.
   */
  async setupPhase(options: {
    studies?: number
    predictions: Record<string, string>
    kinds?: Array<'predictions' | 'algorithm'>
    limit?: number
    closesAt?: string
  }): Promise<PhaseSetup> {
    const organiser = await this.user(`org-${this.counter++}`, 'organiser')
    const challenge = `c${this.counter++}`
    const synthDir = join(this.services.dir, `synth-${challenge}`)
    const made = await synthesize({
      out: synthDir,
      studies: options.studies ?? 4,
      seed: 7,
      size: 'small',
      predictions: options.predictions,
    })
    let res = await this.request(organiser, 'POST', '/api/v1/challenges', { slug: challenge, title: `Fault suite ${challenge}` })
    if (res.status !== 201) throw new Error(`POST challenge: ${res.status} ${JSON.stringify(res.body)}`)
    res = await this.request(organiser, 'POST', `/api/v1/challenges/${challenge}/phases`, {
      slug: 'test',
      title: 'Test phase',
      scoringProfile: 'spider',
      submissionKinds: options.kinds ?? ['predictions'],
      ranking: {
        method: 'mean-position',
        metrics: [
          { key: 'DiceVertebrae', order: 'desc' },
          { key: 'ASDVertebrae', order: 'asc' },
        ],
      },
      entries: 'all',
      submissionLimit: { count: options.limit ?? 20, periodHours: 24 },
      perSeriesVisibility: 'owner',
      ...(options.closesAt ? { closesAt: options.closesAt } : {}),
    })
    if (res.status !== 201) throw new Error(`POST phase: ${res.status} ${JSON.stringify(res.body)}`)
    const path = `/api/v1/challenges/${challenge}/phases/test`
    const archive = await testSetArchive(synthDir, join(this.services.dir, `testset-${challenge}.tar.gz`))
    const set = await this.upload(organiser, 'PUT', `${path}/test-set`, {}, { archive })
    if (set.status !== 200) throw new Error(`PUT test-set: ${set.status} ${JSON.stringify(set.body)}`)
    const phase = await this.db.prisma.phase.findFirstOrThrow({ where: { slug: 'test', challenge: { slug: challenge } } })
    const predictions: Record<string, string> = {}
    for (const name of Object.keys(options.predictions)) predictions[name] = join(synthDir, 'predictions', name)
    return { challenge, phase: 'test', path, phaseId: phase.id, organiser, seriesNames: made.series.map((s) => s.name).sort(), predictions }
  }

  /** A multipart request of string fields and files read from disk. */
  async upload<T = unknown>(
    token: string,
    method: string,
    path: string,
    fields: Record<string, string>,
    files: Record<string, string>,
  ): Promise<Answer<T>> {
    const form = new FormData()
    for (const [k, v] of Object.entries(fields)) form.append(k, v)
    for (const [k, file] of Object.entries(files)) form.append(k, await openAsBlob(file), file.split('/').pop())
    const res = await fetch(`${this.url}${path}`, { method, headers: { authorization: `Bearer ${token}` }, body: form })
    const text = await res.text()
    let parsed: unknown = text
    try {
      parsed = JSON.parse(text)
    } catch {
      // not JSON
    }
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body: parsed as T }
  }

  /**
   * A multipart upload sent in two steps: the headers, the fields and the first `head` bytes
   * of the file at once, the rest when `finish()` is called (or never: `abort()`). The API is
   * then busy receiving it: admission checks passed, the file partly written to DATA_DIR/tmp.
   */
  async startUpload(
    token: string,
    path: string,
    fields: Record<string, string>,
    field: string,
    file: string,
    head = 1024,
  ): Promise<InFlightUpload> {
    const { request } = await import('node:http')
    const { readFile } = await import('node:fs/promises')
    const bytes = await readFile(file)
    const boundary = `----faults${randomUUID().replace(/-/g, '')}`
    const parts = Object.entries(fields).map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`)
    const fileHead =
      `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${file.split('/').pop()}"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n'
    const tail = `\r\n--${boundary}--\r\n`
    const first = Buffer.concat([Buffer.from(parts.join('') + fileHead), bytes.subarray(0, head)])
    const rest = Buffer.concat([bytes.subarray(head), Buffer.from(tail)])
    const url = new URL(`${this.url}${path}`)
    const req = request({
      host: url.hostname,
      port: url.port,
      path: url.pathname,
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': String(first.length + rest.length),
      },
    })
    const response = new Promise<Answer>((resolve, reject) => {
      req.on('response', (res) => {
        let text = ''
        res.on('data', (d: Buffer) => (text += d.toString()))
        res.on('end', () => {
          let body: unknown = text
          try {
            body = JSON.parse(text)
          } catch {
            // not JSON
          }
          resolve({ status: res.statusCode ?? 0, retryAfter: (res.headers['retry-after'] as string | undefined) ?? null, body })
        })
        res.on('error', reject)
      })
      req.on('error', reject)
    })
    response.catch(() => undefined)
    req.write(first)
    return {
      response,
      finish: () => void req.end(rest),
      abort: () => req.destroy(),
    }
  }

  /** Files under DATA_DIR/tmp (uploads being received, or left behind). */
  async uploadTmpFiles(): Promise<string[]> {
    const root = join(this.dataDir, 'tmp')
    const found = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => [])
    return found.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name))
  }

  /** Stored files under a phase's submissions (DATA_DIR/storage/submissions/<phase>). */
  async storedSubmissionFiles(phaseId: string): Promise<string[]> {
    const root = join(this.dataDir, 'storage', 'submissions', phaseId)
    const found = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => [])
    return found.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name))
  }

  /** The .tar.gz of a prediction set (written once, reused). */
  async predictionsArchive(phase: PhaseSetup, name: string): Promise<string> {
    const dir = join(this.services.dir, 'archives')
    await mkdir(dir, { recursive: true })
    const target = join(dir, `${phase.challenge}-${name}.tar.gz`)
    const existing = await readdir(dir)
    return existing.includes(`${phase.challenge}-${name}.tar.gz`) ? target : predictionsArchive(phase.predictions[name], target)
  }

  /** A predictions submission; 202 expected. */
  async submitPredictions(phase: PhaseSetup, participant: string, predictionSet: string): Promise<Accepted> {
    const res = await this.upload<{ id: string }>(
      this.tokens[participant],
      'POST',
      `${phase.path}/submissions`,
      { kind: 'predictions' },
      { predictions: await this.predictionsArchive(phase, predictionSet) },
    )
    if (res.status !== 202) throw new Error(`submission of ${participant}: ${res.status} ${JSON.stringify(res.body)}`)
    return { id: res.body.id, participant }
  }

  // ------------------------------------------------------------------ state

  /** Submissions not in a final state, among `ids`. */
  async unfinished(ids: readonly string[]): Promise<string[]> {
    const rows = await this.db.prisma.submission.findMany({ where: { id: { in: [...ids] } }, select: { id: true, status: true } })
    return rows
      .filter((r) => !FINAL.includes(r.status))
      .map((r) => r.id)
      .concat(ids.filter((id) => !rows.some((r) => r.id === id)))
  }

  /** Waits until every submission of `ids` is final; returns when that happened (ms epoch). */
  async waitFinal(ids: readonly string[], timeoutMs = 180_000): Promise<number> {
    await until(
      `submissions ${ids.join(', ')} to reach a final state`,
      async () => (await this.unfinished(ids).catch(() => ['?'])).length === 0,
      timeoutMs,
      100,
    )
    return Date.now()
  }

  /** Stored per-series results (all evaluations). */
  seriesRows(): Promise<number> {
    return this.db.prisma.seriesResult.count()
  }

  queueNames(): string[] {
    return Object.values(QUEUE_NAMES).map((q) => queueName(q, this.prefix))
  }

  /** Jobs waiting, delayed, active or waiting for children, over the four queues. */
  async pendingJobs(): Promise<number> {
    let total = 0
    for (const name of this.queueNames()) {
      const queue = new Queue(name, { connection: this.redis })
      const counts = await queue.getJobCounts('waiting', 'delayed', 'active', 'waiting-children', 'prioritized')
      total += Object.values(counts).reduce((a, b) => a + b, 0)
      await queue.close()
    }
    return total
  }

  /** Ids of the active jobs of one queue (QUEUE_NAMES value). */
  async activeJobs(base: (typeof QUEUE_NAMES)[keyof typeof QUEUE_NAMES]): Promise<string[]> {
    const queue = new Queue(queueName(base, this.prefix), { connection: this.redis })
    try {
      return (await queue.getActive()).map((j) => j.id ?? '')
    } finally {
      await queue.close()
    }
  }

  /** Ids of the evaluation jobs of `evaluationIds` that Redis knows in a live state. */
  async liveEvaluationJobs(evaluationIds: readonly string[]): Promise<string[]> {
    const queue = new Queue(queueName(QUEUE_NAMES.evaluation, this.prefix), { connection: this.redis })
    const finalize = new Queue(queueName(QUEUE_NAMES.finalize, this.prefix), { connection: this.redis })
    try {
      const live: string[] = []
      for (const id of evaluationIds) {
        const states = await Promise.all([queue.getJobState(id), finalize.getJobState(finalizeJobId(id)).catch(() => 'unknown')])
        if (states.some((s) => ['waiting', 'delayed', 'active', 'waiting-children', 'prioritized'].includes(s))) live.push(id)
      }
      return live
    } finally {
      await queue.close()
      await finalize.close()
    }
  }

  /** Stops every process (SIGTERM; SIGKILL after a while), the services, and removes the folder. */
  async close(): Promise<void> {
    await Promise.all(this.processes.filter((p) => !p.exited()).map((p) => p.stop(20_000)))
    this.redis.disconnect()
    await this.db.close().catch(() => undefined)
    await this.services.close()
  }
}

// ------------------------------------------------------------------ figures

/**
 * Where measured figures go: FAULT_FIGURES_DIR (set by `npm run test:faults`, which prints them
 * at the end); unset (`npm test`), nothing is written.
 */
export function figuresDir(): string | null {
  return process.env.FAULT_FIGURES_DIR || null
}

/** Appends one run's figures of a case (one JSON line per run) to FAULT_FIGURES_DIR/NAME.jsonl. */
export async function recordFigures(name: string, figures: Record<string, number | string | boolean | null>): Promise<void> {
  const dir = figuresDir()
  if (!dir) return
  await mkdir(dir, { recursive: true })
  await appendFile(join(dir, `${name}.jsonl`), `${JSON.stringify({ at: new Date().toISOString(), ...figures })}\n`)
}
