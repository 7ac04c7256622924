/**
 * What the server benchmarks do as the organiser and the participants do it: `spider-bench`
 * commands run to their end (users create, testset import), JSON requests to the REST API, a
 * benchmark challenge and phase on the bench set, and the participants' prediction archive.
 */
import { spawn } from 'node:child_process'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { packTarGz } from '../../packages/cli/src/testset-upload.ts'
import { sleep, SPIDER_BIN } from './processes.ts'

/** `node bin/spider-bench.js ARGS` to its end: exit code, stdout, wall time (stderr passes through). */
export function runSpider(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; ms: number }> {
  const t0 = performance.now()
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [SPIDER_BIN, ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] })
    let stdout = ''
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
    child.on('error', reject)
    child.on('exit', (code) => resolveRun({ code: code ?? -1, stdout, ms: performance.now() - t0 }))
  })
}

/** `users create --name NAME --role ROLE` (offline, straight into the database of `env`); the new API token. */
export async function createUserToken(name: string, role: string, env: NodeJS.ProcessEnv): Promise<string> {
  const r = await runSpider(['users', 'create', '--name', name, '--role', role], env)
  if (r.code !== 0) throw new Error(`users create ${name} failed (exit ${r.code})`)
  return r.stdout.trim().split('\n').at(-1) as string
}

/** A JSON request; throws on any status of 300 or more. */
export async function apiJson<T = unknown>(url: string, method: string, path: string, token: string, body?: unknown): Promise<T> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`)
  return (await res.json()) as T
}

/** Waits until GET /readyz answers 200 (database and Redis reached). */
export async function waitReady(url: string, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const ok = await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    )
    if (ok) return
    if (Date.now() > end) throw new Error(`the API at ${url} was not ready within ${timeoutMs / 1000} s`)
    await sleep(100)
  }
}

export interface BenchPhaseOptions {
  readonly challenge: string
  readonly phase: string
  /** Leaderboard entries per participant (default "best"). */
  readonly entries?: 'best' | 'latest' | 'all'
  readonly submissionLimit?: { count: number; periodHours: number }
}

/**
 * A challenge and a predictions phase scored with the spider profile and ranked by mean
 * position over DiceVertebrae, DiceDiscs and ASDVertebrae; its hidden test set is `data`,
 * imported with `spider-bench testset import` (returns the import's wall time in ms).
 */
export async function createBenchPhase(
  url: string,
  organiser: string,
  data: string,
  options: BenchPhaseOptions,
  env: NodeJS.ProcessEnv,
): Promise<{ path: string; importMs: number }> {
  const { challenge, phase } = options
  await apiJson(url, 'POST', '/api/v1/challenges', organiser, { slug: challenge, title: challenge })
  await apiJson(url, 'POST', `/api/v1/challenges/${challenge}/phases`, organiser, {
    slug: phase,
    title: phase,
    scoringProfile: 'spider',
    submissionKinds: ['predictions'],
    ranking: {
      method: 'mean-position',
      metrics: [
        { key: 'DiceVertebrae', order: 'desc' },
        { key: 'DiceDiscs', order: 'desc' },
        { key: 'ASDVertebrae', order: 'asc' },
      ],
    },
    entries: options.entries ?? 'best',
    perSeriesVisibility: 'owner',
    ...(options.submissionLimit ? { submissionLimit: options.submissionLimit } : {}),
  })
  const imported = await runSpider(
    ['testset', 'import', '--challenge', challenge, '--phase', phase, data, '--url', url, '--token', organiser],
    env,
  )
  if (imported.code !== 0) throw new Error(`testset import failed (exit ${imported.code})`)
  return { path: `/api/v1/challenges/${challenge}/phases/${phase}`, importMs: imported.ms }
}

/** The .tar.gz a participant uploads: every mask of `data`/predictions/bench. */
export async function benchPredictionsArchive(data: string, target: string): Promise<string> {
  const dir = join(data, 'predictions', 'bench')
  await packTarGz(dir, (await readdir(dir)).sort(), target)
  return target
}
