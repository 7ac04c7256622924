import { resolve } from 'node:path'

/** Server configuration, read once from the environment at start-up and validated. */
export interface Config {
  /** Postgres URL; null selects the embedded PGlite database under `dataDir/db`. */
  readonly databaseUrl: string | null
  readonly redisUrl: string
  /** Absolute path of DATA_DIR (uploads, test sets, the embedded database). */
  readonly dataDir: string
  readonly port: number
  readonly host: string
  /** Largest accepted upload (one multipart file), enforced while streaming. */
  readonly maxUploadBytes: number
  /** Most entries an uploaded archive may hold. */
  readonly maxArchiveEntries: number
  /** Most bytes an uploaded archive may expand to (zip bombs). */
  readonly maxArchiveBytes: number
  /** Failed authentications allowed per client address and window before 429. */
  readonly authFailureLimit: number
  readonly authFailureWindowSeconds: number
  /** Queue-name prefix (tests run on private queues). */
  readonly queuePrefix: string
  /**
   * Behind a reverse proxy: take the client address from X-Forwarded-For, so that the
   * failed-authentication limit applies per client rather than to the proxy.
   */
  readonly trustProxy: boolean
}

/** A configuration problem; the message names the variable and the offending value. */
export class ConfigError extends Error {
  override name = 'ConfigError'
}

const GIB = 1024 ** 3

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(`${name} must be a whole number, got "${raw}"`)
  const value = Number(raw.trim())
  if (value < min || value > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}`)
  return value
}

function flag(env: NodeJS.ProcessEnv, name: string): boolean {
  const raw = (env[name] ?? '').trim().toLowerCase()
  if (raw === '' || raw === '0' || raw === 'false') return false
  if (raw === '1' || raw === 'true') return true
  throw new ConfigError(`${name} must be 1, true, 0 or false, got "${env[name]}"`)
}

function url(env: NodeJS.ProcessEnv, name: string, protocols: string[]): string | null {
  const raw = env[name]
  if (raw === undefined || raw === '') return null
  let parsed: URL
  try {
    parsed = new URL(raw)
  } catch {
    throw new ConfigError(`${name} is not a valid URL: "${raw}"`)
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(`${name} must use ${protocols.map((p) => `${p}//`).join(' or ')}, got "${parsed.protocol}//"`)
  }
  return raw
}

/** Reads and validates the configuration; throws ConfigError naming every problem found. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const problems: string[] = []
  const attempt = <T>(fn: () => T, fallback: T): T => {
    try {
      return fn()
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err
      problems.push(err.message)
      return fallback
    }
  }
  const config: Config = {
    databaseUrl: attempt(() => url(env, 'DATABASE_URL', ['postgresql:', 'postgres:']), null),
    redisUrl: attempt(() => url(env, 'REDIS_URL', ['redis:', 'rediss:']), null) ?? 'redis://127.0.0.1:6379',
    dataDir: resolve(env.DATA_DIR || './data'),
    port: attempt(() => integer(env, 'PORT', 3000, 0, 65535), 3000),
    host: env.HOST || '127.0.0.1',
    maxUploadBytes: attempt(() => integer(env, 'MAX_UPLOAD_BYTES', 4 * GIB, 1), 4 * GIB),
    maxArchiveEntries: attempt(() => integer(env, 'MAX_ARCHIVE_ENTRIES', 10_000, 1), 10_000),
    maxArchiveBytes: attempt(() => integer(env, 'MAX_ARCHIVE_BYTES', 16 * GIB, 1), 16 * GIB),
    authFailureLimit: attempt(() => integer(env, 'AUTH_FAILURE_LIMIT', 10, 1), 10),
    authFailureWindowSeconds: attempt(() => integer(env, 'AUTH_FAILURE_WINDOW_SECONDS', 60, 1), 60),
    queuePrefix: env.SPIDER_QUEUE_PREFIX ?? '',
    trustProxy: attempt(() => flag(env, 'TRUST_PROXY'), false),
    ...overrides,
  }
  if (problems.length > 0) throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`)
  return config
}
