/**
 * Helpers of the tests that run the `spider-bench` command as a user would (child processes,
 * real HTTP): start a long-running command, wait for a line, stop it with Ctrl-C.
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { expect } from 'vitest'
import { synthesize } from '@spider-bench/synth'
import { packTarGz, testSetFiles } from '../packages/cli/src/testset-upload.ts'

export const ROOT = join(import.meta.dirname, '..')

export interface CliProcess {
  /** The process id of the `spider-bench` process. */
  readonly pid: number
  /** Everything printed so far (stdout, then stderr). */
  output(): string
  /** Resolves with the first match of `pattern` in stdout; rejects if the process exits first. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>
  /** SIGINT (Ctrl-C), then the exit code. */
  stop(): Promise<number | null>
}

/**
 * Runs `node bin/spider-bench.js ARGS` (what `npx spider-bench` and `npm start` run); `wrap`: a
 * command that execs the rest (e.g. `ip netns exec NS`), so the process id stays node's.
 */
export function startCli(args: string[], env: NodeJS.ProcessEnv, wrap: readonly string[] = []): CliProcess {
  const command = [...wrap, process.execPath, 'bin/spider-bench.js', ...args]
  // Info lines are what the tests wait for ("spider-bench API on ..."), whatever LOG_LEVEL says.
  const child = spawn(command[0], command.slice(1), {
    cwd: ROOT,
    env: { ...env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stdout.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr.on('data', (d: Buffer) => (err += d.toString()))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  let done = false
  void exited.then(() => (done = true))
  return {
    pid: child.pid as number,
    output: () => `${out}\n${err}`,
    async waitFor(pattern, timeoutMs = 180_000) {
      const end = Date.now() + timeoutMs
      for (;;) {
        const match = pattern.exec(out)
        if (match) return match
        if (done) throw new Error(`spider-bench ${args.join(' ')} exited before printing ${pattern}:\n${out}\n${err}`)
        if (Date.now() > end)
          throw new Error(`spider-bench ${args.join(' ')} did not print ${pattern} within ${timeoutMs} ms:\n${out}\n${err}`)
        await new Promise((r) => setTimeout(r, 100))
      }
    },
    async stop() {
      if (!done) child.kill('SIGINT')
      return exited
    },
  }
}

/** Runs a short `spider-bench` command to its end; resolves with its exit code and stdout. */
export async function runCliToEnd(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, ['bin/spider-bench.js', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr.on('data', (d: Buffer) => (err += d.toString()))
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)))
  return { code, out, err }
}

/** The URL `serve` logs once it listens ("spider-bench API on http://..."). */
export const SERVING = /spider-bench API on (http:\/\/[^\s"]+)/

export async function json<T>(url: string, token: string | null, method = 'GET', body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(url, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  })
  const text = await res.text()
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T }
}

/** A multipart POST/PUT of string fields and files read from disk. */
export async function upload(
  url: string,
  token: string,
  fields: Record<string, string>,
  files: Record<string, string>,
  method = 'POST',
): Promise<{ status: number; body: unknown }> {
  const { openAsBlob } = await import('node:fs')
  const form = new FormData()
  for (const [k, v] of Object.entries(fields)) form.append(k, v)
  for (const [k, file] of Object.entries(files)) form.append(k, await openAsBlob(file), file.split('/').pop())
  const res = await fetch(url, { method, headers: { authorization: `Bearer ${token}` }, body: form })
  return { status: res.status, body: await res.json() }
}

/** `dir` (images/, masks/, overview.csv) as a .tar.gz test-set archive at `target`. */
export async function testSetArchive(dir: string, target: string): Promise<string> {
  await packTarGz(dir, await testSetFiles(dir), target)
  return target
}

/** The .mha files of `dir` as a .tar.gz predictions archive at `target`. */
export async function predictionsArchive(dir: string, target: string): Promise<string> {
  await packTarGz(dir, (await readdir(dir)).filter((f) => f.endsWith('.mha')).sort(), target)
  return target
}

export async function until<T>(
  what: string,
  fn: () => Promise<T | null | undefined | false>,
  timeoutMs = 300_000,
  everyMs = 250,
): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const value = await fn()
    if (value) return value
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, everyMs))
  }
}

export interface Issued {
  user: { id: string; name: string; role: string }
  token: string
}
export interface Submission {
  status: string
  error?: string
  queuePosition?: number | null
  waitingReason?: string | null
}
export type StoryUsers = Record<'org' | 'alice' | 'bob', Issued>

/**
 * The story's cast and phase through the REST API (`api`: .../api/v1) as the admin: an
 * organiser and two participants, challenge "spider" with phase "test" taking predictions and
 * algorithms, ranked on Dice and ASD of the vertebrae.
 */
export async function createStoryPhase(api: string, adminToken: string): Promise<StoryUsers> {
  const users: Partial<StoryUsers> = {}
  for (const [name, role] of [
    ['org', 'organiser'],
    ['alice', 'participant'],
    ['bob', 'participant'],
  ] as const) {
    const res = await json<Issued>(`${api}/users`, adminToken, 'POST', { name, role })
    expect(res.status).toBe(201)
    users[name] = res.body
  }
  const org = (users as StoryUsers).org.token
  expect((await json(`${api}/challenges`, org, 'POST', { slug: 'spider', title: 'SPIDER lumbar spine' })).status).toBe(201)
  const phase = await json(`${api}/challenges/spider/phases`, org, 'POST', {
    slug: 'test',
    title: 'Test phase',
    scoringProfile: 'spider',
    submissionKinds: ['predictions', 'algorithm'],
    ranking: {
      method: 'mean-position',
      metrics: [
        { key: 'DiceVertebrae', order: 'desc' },
        { key: 'ASDVertebrae', order: 'asc' },
      ],
    },
    entries: 'best',
    submissionLimit: { count: 5, periodHours: 24 },
    perSeriesVisibility: 'owner',
  })
  expect(phase.status).toBe(201)
  return users as StoryUsers
}

/** Reads submission `id` until it is final; `check` sees every answer on the way. */
export async function finalSubmission(api: string, id: string, token: string, check?: (s: Submission) => void): Promise<Submission> {
  return until(`submission ${id} to finish`, async () => {
    const s = await json<Submission>(`${api}/submissions/${id}`, token)
    check?.(s.body)
    return ['succeeded', 'failed', 'cancelled'].includes(s.body.status) ? s.body : null
  })
}

/** The story's leaderboard: alice's predictions and bob's algorithm, both with a Dice above 0. */
export async function expectStoryLeaderboard(api: string): Promise<void> {
  const board = await json<{ rows: Array<{ participant: string; metrics: Record<string, number | null> }> }>(
    `${api}/challenges/spider/phases/test/leaderboard`,
    null,
  )
  expect(board.body.rows.map((r) => r.participant).sort()).toEqual(['alice', 'bob'])
  for (const row of board.body.rows) expect(row.metrics.DiceVertebrae).toBeGreaterThan(0)
}

/**
 * `npm start` on one machine as the README's single-machine story runs it, in `env` (DATA_DIR
 * an empty folder, the embedded database: DATABASE_URL empty): the first admin from the
 * command line, then `serve` with no flags (every worker role in the process), users, a
 * challenge and a test set over REST, a predictions submission and `algorithm` (the example
 * ONNX model) taken to the leaderboard, and Ctrl-C. `started` sees the server once it listens.
 */
export async function singleMachineStory(
  env: NodeJS.ProcessEnv,
  algorithm: { modelPath: string; configPath: string },
  started?: (server: CliProcess) => void,
): Promise<void> {
  const dataDir = env.DATA_DIR as string
  // The README: the first admin before the first start, everything else through the API.
  const admin = await runCliToEnd(['users', 'create', '--name', 'admin', '--role', 'admin'], env)
  expect(admin.code, admin.err).toBe(0)
  const adminToken = admin.out.trim().split('\n').at(-1) ?? ''
  const synthDir = join(dataDir, 'spider-test')
  await synthesize({ out: synthDir, studies: 1, seed: 11, size: 'small', predictions: { mine: 'dilate:1,relabel' } })

  const server = startCli(['serve'], env)
  try {
    const url = (await server.waitFor(SERVING))[1]
    started?.(server)
    expect(server.output()).toContain('with the scoring and inference workers')
    expect(existsSync(join(dataDir, 'server.json'))).toBe(true)
    const api = `${url}/api/v1`

    const users = await createStoryPhase(api, adminToken)
    const org = users.org.token
    const testSet = await upload(
      `${api}/challenges/spider/phases/test/test-set`,
      org,
      {},
      { archive: await testSetArchive(synthDir, join(dataDir, 'testset.tar.gz')) },
      'PUT',
    )
    expect(testSet.status).toBe(200)

    const predictions = await upload(
      `${api}/challenges/spider/phases/test/submissions`,
      users.alice.token,
      { kind: 'predictions' },
      { predictions: await predictionsArchive(join(synthDir, 'predictions', 'mine'), join(dataDir, 'predictions.tar.gz')) },
    )
    expect(predictions.status).toBe(202)
    const model = await upload(
      `${api}/challenges/spider/phases/test/submissions`,
      users.bob.token,
      { kind: 'algorithm' },
      { model: algorithm.modelPath, config: algorithm.configPath },
    )
    expect(model.status, JSON.stringify(model.body)).toBe(202)

    const done: Record<string, Submission> = {}
    for (const [who, res] of [
      ['alice', predictions],
      ['bob', model],
    ] as const) {
      // Every worker role is in this process: nothing may wait for a missing worker.
      done[who] = await finalSubmission(api, (res.body as { id: string }).id, users[who].token, (s) =>
        expect(s.waitingReason ?? null).toBeNull(),
      )
    }
    expect(done.alice).toMatchObject({ status: 'succeeded' })
    expect(done.bob).toMatchObject({ status: 'succeeded' })
    await expectStoryLeaderboard(api)
    const status = await json<{ workers: { scoring: { count: number }; inference: { count: number } } }>(`${api}/status`, null)
    expect(status.body.workers).toMatchObject({ scoring: { count: 1 }, inference: { count: 1 } })

    expect(await server.stop()).toBe(0)
    expect(existsSync(join(dataDir, 'server.json'))).toBe(false)
  } finally {
    await server.stop()
  }
}
