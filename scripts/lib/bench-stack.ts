/**
 * A split deployment for the load benchmarks (bench:load, bench:soak), as the README's
 * "Split deployment" runs it: `spider-bench serve --api-only` and W `spider-bench worker`
 * processes on the machine's Postgres (DATABASE_URL, default the `test` database on
 * 127.0.0.1) in a schema of their own and its Redis (REDIS_URL) under a queue prefix of their
 * own, with a fresh DATA_DIR; an admin made with `users create`, an organiser and participants
 * through POST /api/v1/users, and a phase whose hidden test set is the bench set. `close()`
 * stops the processes, drops the schema, deletes the prefix's Redis keys and the DATA_DIR.
 *
 * Also the participants' side: uploads of a predictions archive, and the board reader (a
 * child process reading the leaderboard and submission status at a fixed rate).
 */
import { fork, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { openAsBlob } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { Redis } from 'ioredis'
import pg from 'pg'
import { parsePostgresUrl } from '../../packages/db/src/database-url.ts'
import { freePort } from '../../packages/cli/src/free-port.ts'
import type { ReaderCommand, ReaderEvent, ReaderStats } from './board-reader.ts'
import { sleep, startSpider, type BenchProcess } from './processes.ts'
import { apiJson, createBenchPhase, createUserToken, waitReady } from './spider-api.ts'

export interface StackOptions {
  /** Folder of this stack: DATA_DIR (removed by close) and the processes' logs (kept). */
  readonly dir: string
  /** The test set folder (images/, masks/). */
  readonly data: string
  readonly workers: number
  /** `worker --concurrency N` (default: WORKER_CONCURRENCY or the number of cores). */
  readonly concurrency?: number
  readonly participants: number
  readonly entries: 'best' | 'latest' | 'all'
  readonly submissionLimit: { count: number; periodHours: number }
}

export const DEFAULT_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/test'
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379'

export class BenchStack {
  api: BenchProcess | null = null
  readonly workers: BenchProcess[] = []
  url = ''
  phasePath = ''
  importMs = 0
  participants: string[] = []
  /** Exit status of each process stopped by close(), by name. */
  readonly exits: Record<string, string> = {}
  private closed = false

  private constructor(
    readonly options: StackOptions,
    readonly schema: string,
    readonly prefix: string,
    readonly env: NodeJS.ProcessEnv,
  ) {}

  static async start(options: StackOptions): Promise<BenchStack> {
    const id = randomUUID().replace(/-/g, '').slice(0, 12)
    const base = process.env.DATABASE_URL || DEFAULT_DATABASE_URL
    const schema = `bench_${id}`
    const prefix = `bench-${id}`
    const dir = resolve(options.dir)
    await mkdir(dir, { recursive: true })
    const port = await freePort()
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: `${base}${base.includes('?') ? '&' : '?'}schema=${schema}`,
      REDIS_URL: process.env.REDIS_URL || DEFAULT_REDIS_URL,
      DATA_DIR: join(dir, 'data'),
      SPIDER_QUEUE_PREFIX: prefix,
      HOST: '127.0.0.1',
      PORT: String(port),
    }
    const stack = new BenchStack(options, schema, prefix, env)
    try {
      await stack.boot(port)
      return stack
    } catch (err) {
      await stack.close()
      throw err
    }
  }

  private async boot(port: number): Promise<void> {
    const { dir, workers, concurrency, participants, data } = this.options
    // The API applies the migrations to the new schema before it listens.
    this.api = startSpider('api', ['serve', '--api-only', '--port', String(port)], this.env, join(dir, 'api.log'))
    this.url = `http://127.0.0.1:${port}`
    await waitReady(this.url, 120_000)
    const admin = await createUserToken('admin', 'admin', this.env)
    const user = async (name: string, role: string) =>
      (await apiJson<{ token: string }>(this.url, 'POST', '/api/v1/users', admin, { name, role })).token
    const organiser = await user('organiser', 'organiser')
    for (let i = 1; i <= participants; i++) this.participants.push(await user(`participant-${i}`, 'participant'))
    const phase = await createBenchPhase(
      this.url,
      organiser,
      data,
      { challenge: 'load', phase: 'final', entries: this.options.entries, submissionLimit: this.options.submissionLimit },
      this.env,
    )
    this.phasePath = phase.path
    this.importMs = phase.importMs
    for (let i = 1; i <= workers; i++) {
      const args = ['worker', ...(concurrency ? ['--concurrency', String(concurrency)] : [])]
      this.workers.push(startSpider(`worker-${i}`, args, this.env, join(dir, `worker-${i}.log`)))
    }
    // Ready when the API's status counts every worker's connection to the scoring queue.
    const end = Date.now() + 120_000
    for (;;) {
      const status = await apiJson<{ workers: { scoring: { count: number } } }>(this.url, 'GET', '/api/v1/status', admin)
      if (status.workers.scoring.count >= workers) break
      const dead = this.workers.find((w) => w.exited())
      if (dead) throw new Error(`${dead.name} exited at start (see ${dead.log})`)
      if (Date.now() > end) throw new Error(`${workers} worker(s) did not connect within 120 s (see ${dir})`)
      await sleep(200)
    }
  }

  /** The API and the workers, for RSS sampling. */
  processes(): Array<{ name: string; pid: number }> {
    return [...(this.api ? [this.api] : []), ...this.workers].filter((p) => !p.exited())
  }

  /** POST a predictions archive as participant `token`; the status, the body, the time to the answer. */
  async submit(
    token: string,
    archive: string,
  ): Promise<{ status: number; body: { id?: string; code?: string; message?: string }; ms: number }> {
    const t0 = performance.now()
    const form = new FormData()
    form.append('kind', 'predictions')
    form.append('predictions', await openAsBlob(archive), 'predictions.tar.gz')
    try {
      const res = await fetch(`${this.url}${this.phasePath}/submissions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        body: form,
      })
      const text = await res.text()
      let body: { id?: string; code?: string; message?: string } = {}
      try {
        body = JSON.parse(text) as typeof body
      } catch {
        body = { message: text.slice(0, 200) }
      }
      return { status: res.status, body, ms: performance.now() - t0 }
    } catch (err) {
      return {
        status: 0,
        body: { code: (err as NodeJS.ErrnoException).code ?? 'fetch', message: (err as Error).message },
        ms: performance.now() - t0,
      }
    }
  }

  /** Stops the processes (SIGTERM: running series finish), drops the schema, the Redis keys and DATA_DIR. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    for (const p of [...this.workers, ...(this.api ? [this.api] : [])]) {
      const { code, signal } = await p.stop(60_000)
      this.exits[p.name] = signal ?? String(code)
    }
    const base = parsePostgresUrl(this.env.DATABASE_URL as string).connectionString
    const client = new pg.Client({ connectionString: base })
    await client.connect()
    try {
      await client.query(`DROP SCHEMA IF EXISTS "${this.schema}" CASCADE`)
    } finally {
      await client.end()
    }
    const redis = new Redis(this.env.REDIS_URL as string, { lazyConnect: true, maxRetriesPerRequest: 3 })
    await redis.connect()
    try {
      let cursor = '0'
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `*${this.prefix}*`, 'COUNT', 1000)
        cursor = next
        if (keys.length > 0) await redis.del(...keys)
      } while (cursor !== '0')
    } finally {
      redis.disconnect()
    }
    await rm(join(resolve(this.options.dir), 'data'), { recursive: true, force: true })
  }
}

// ---------------------------------------------------------------- the board reader

export interface BoardReader {
  /** Reads start (at the fixed rate). */
  start(): void
  /** Read the status of submission `id` (owner `token`) until it is final. */
  watch(id: string, token: string): void
  /** Resolves with the final status (and the time it was read, epoch ms) of a watched submission. */
  final(id: string): Promise<{ status: string; at: number; error: string | null }>
  /** When `id` was first read on the leaderboard (epoch ms); resolves when it is (or rejects after `timeoutMs`). */
  listed(id: string, timeoutMs: number): Promise<number>
  /** Stops the reads; the latencies and the answers that were not 2xx. */
  stop(): Promise<ReaderStats>
  /** Ends the reader process at once (after a failure). */
  kill(): void
}

/**
 * Forks scripts/lib/board-reader.ts: `rate` requests/s to `url`, the status of each watched
 * submission every `statusEveryMs` until it is final, the leaderboard `boardPath` otherwise.
 */
export async function startBoardReader(url: string, boardPath: string, rate: number, statusEveryMs = 1000): Promise<BoardReader> {
  const script = resolve('scripts/lib/board-reader.ts')
  const child: ChildProcess = fork(resolve('bin/run-ts.js'), [script, url, boardPath, String(rate), String(statusEveryMs)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const listedAt = new Map<string, number>()
  const finals = new Map<string, { status: string; at: number; error: string | null }>()
  const waiters = new Set<() => void>()
  let stats: ReaderStats | null = null
  let exited = false
  const notify = () => waiters.forEach((w) => w())
  child.on('message', (event: ReaderEvent) => {
    if (event.type === 'listed') listedAt.set(event.id, event.at)
    else if (event.type === 'status' && ['succeeded', 'failed', 'cancelled'].includes(event.status)) finals.set(event.id, event)
    else if (event.type === 'stats') stats = event.stats
    notify()
  })
  child.on('exit', () => {
    exited = true
    notify()
  })
  const until = <T>(what: string, value: () => T | undefined, timeoutMs: number): Promise<T> =>
    new Promise((ok, fail) => {
      const check = () => {
        const v = value()
        if (v !== undefined) return done(() => ok(v))
        if (exited) return done(() => fail(new Error(`the board reader exited while waiting for ${what}`)))
      }
      const timer = setTimeout(() => done(() => fail(new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`))), timeoutMs)
      const done = (settle: () => void) => {
        clearTimeout(timer)
        waiters.delete(check)
        settle()
      }
      waiters.add(check)
      check()
    })
  const send = (command: ReaderCommand) => child.send(command)
  await new Promise<void>((ok, fail) => {
    child.once('message', () => ok())
    child.once('exit', (code) => fail(new Error(`the board reader exited at start (${code})`)))
  })
  return {
    start: () => send({ type: 'start' }),
    watch: (id, token) => send({ type: 'watch', id, token }),
    final: (id) => until(`the final status of ${id}`, () => finals.get(id), 3_600_000),
    listed: (id, timeoutMs) => until(`${id} on the leaderboard`, () => listedAt.get(id), timeoutMs),
    async stop() {
      send({ type: 'stop' })
      return until('the reader statistics', () => stats ?? undefined, 120_000)
    },
    kill: () => void (exited || child.kill('SIGKILL')),
  }
}

// ---------------------------------------------------------------- one submission

/** One upload and what became of it (times in epoch ms). */
export interface SubmissionRun {
  readonly uploadStart: number
  /** From the upload's start to the answer. */
  readonly answerMs: number
  /** 202, or the status that refused the upload (0: no answer). */
  readonly httpStatus: number
  readonly id: string | null
  /** The refusal's code and message, or the failed evaluation's error. */
  readonly problem: string | null
  readonly final: string | null
  readonly finalAt: number | null
}

/**
 * A participant's turn: uploads `archive`, then waits (through the reader's status reads)
 * until the submission is final, when the rules allow the next one.
 */
export async function submitAndWait(stack: BenchStack, reader: BoardReader, token: string, archive: string): Promise<SubmissionRun> {
  const uploadStart = performance.timeOrigin + performance.now()
  const res = await stack.submit(token, archive)
  const base = { uploadStart, answerMs: res.ms, httpStatus: res.status, id: res.body.id ?? null }
  if (res.status !== 202 || !res.body.id)
    return {
      ...base,
      problem: `upload answered ${res.status} ${res.body.code ?? ''} ${res.body.message ?? ''}`,
      final: null,
      finalAt: null,
    }
  reader.watch(res.body.id, token)
  const final = await reader.final(res.body.id)
  return { ...base, problem: final.status === 'succeeded' ? null : final.error, final: final.status, finalAt: final.at }
}
