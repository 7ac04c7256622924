import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { ParticipantError } from './errors.ts'

/** What `spider-bench login` stores: the server and the participant's API token. */
export interface StoredLogin {
  readonly url: string
  readonly token: string
}

/** The server and token a command uses, and where each came from (for messages). */
export interface ResolvedLogin extends StoredLogin {
  readonly urlFrom: 'SPIDER_BENCH_URL' | 'config file'
  readonly tokenFrom: 'SPIDER_BENCH_TOKEN' | 'config file'
}

/** `$XDG_CONFIG_HOME/spider-bench/config.json`, or `~/.config/spider-bench/config.json`. */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.startsWith('/') ? env.XDG_CONFIG_HOME : join(homedir(), '.config')
  return join(base, 'spider-bench', 'config.json')
}

/** A server URL without trailing slashes; a usage error when it is not http(s). */
export function normalizeUrl(value: string, source: string): string {
  const url = value.trim().replace(/\/+$/, '')
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new ParticipantError(`${source} must be an http(s) URL such as https://bench.example.org, got "${value}"`)
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new ParticipantError(`${source} must be an http(s) URL, got "${value}"`)
  return url
}

/** The stored login, or null when there is none. A damaged file is an error naming the file. */
export async function readStoredLogin(file = configPath()): Promise<StoredLogin | null> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return null
    throw new ParticipantError(`cannot read ${file}: ${(err as Error).message}`)
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new ParticipantError(`${file} is not valid JSON; run "spider-bench login --url URL --token TOKEN" again`)
  }
  const { url, token } = (value ?? {}) as Partial<StoredLogin>
  if (typeof url !== 'string' || typeof token !== 'string')
    throw new ParticipantError(`${file} has no "url" and "token"; run "spider-bench login --url URL --token TOKEN" again`)
  return { url, token }
}

/** Writes the login readable by the user only (file 0600, folder 0700), replacing any earlier one. */
export async function saveLogin(login: StoredLogin, file = configPath()): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 })
  // Written as a new file with mode 0600, so the token is never readable by others, not even briefly.
  await rm(file, { force: true })
  await writeFile(file, `${JSON.stringify({ url: login.url, token: login.token }, null, 2)}\n`, { mode: 0o600, flag: 'wx' })
  await chmod(file, 0o600)
}

/** Removes the stored login; false when there was none. */
export async function removeLogin(file = configPath()): Promise<boolean> {
  try {
    await rm(file)
    return true
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return false
    throw new ParticipantError(`cannot remove ${file}: ${(err as Error).message}`)
  }
}

/**
 * SPIDER_BENCH_URL and SPIDER_BENCH_TOKEN override the stored login; an error says how to log
 * in. Public reads (`anonymous`) need only the URL; the token is empty without one.
 */
export async function resolveLogin(env: NodeJS.ProcessEnv = process.env, anonymous = false): Promise<ResolvedLogin> {
  const file = configPath(env)
  const stored = env.SPIDER_BENCH_URL && env.SPIDER_BENCH_TOKEN ? null : await readStoredLogin(file)
  const url = env.SPIDER_BENCH_URL || stored?.url
  const token = env.SPIDER_BENCH_TOKEN || stored?.token || ''
  if (!url || (!token && !anonymous)) {
    const missing = [!url && 'server URL', !token && 'API token'].filter(Boolean).join(' and ')
    throw new ParticipantError(
      `not logged in (no ${missing}): run "spider-bench login --url URL --token TOKEN", or set SPIDER_BENCH_URL and SPIDER_BENCH_TOKEN`,
    )
  }
  return {
    url: normalizeUrl(url, env.SPIDER_BENCH_URL ? 'SPIDER_BENCH_URL' : `the url in ${file}`),
    token,
    urlFrom: env.SPIDER_BENCH_URL ? 'SPIDER_BENCH_URL' : 'config file',
    tokenFrom: env.SPIDER_BENCH_TOKEN ? 'SPIDER_BENCH_TOKEN' : 'config file',
  }
}
