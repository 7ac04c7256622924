/**
 * Helpers of the tests that run the `spider-bench` command as a user would (child processes,
 * real HTTP): start a long-running command, wait for a line, stop it with Ctrl-C.
 */
import { spawn } from 'node:child_process'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { packTarGz, testSetFiles } from '../packages/cli/src/testset-upload.ts'

export const ROOT = join(import.meta.dirname, '..')

export interface CliProcess {
  /** Everything printed so far (stdout, then stderr). */
  output(): string
  /** Resolves with the first match of `pattern` in stdout; rejects if the process exits first. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>
  /** SIGINT (Ctrl-C), then the exit code. */
  stop(): Promise<number | null>
}

/** Runs `node bin/spider-bench.js ARGS` (what `npx spider-bench` and `npm start` run). */
export function startCli(args: string[], env: NodeJS.ProcessEnv): CliProcess {
  // Info lines are what the tests wait for ("spider-bench API on ..."), whatever LOG_LEVEL says.
  const child = spawn(process.execPath, ['bin/spider-bench.js', ...args], {
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
