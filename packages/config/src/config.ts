import { isIP } from 'node:net'
import { resolve } from 'node:path'
import { DEFAULT_INFERENCE_LIMITS, InferenceLimitsError, loadInferenceLimits, type InferenceLimits } from './inference-limits.ts'
import { parseStorageUrl, StorageUrlError, type StorageLocation } from './storage-url.ts'

/** Server configuration, read once from the environment at start-up and validated. */
export interface Config {
  /** Postgres URL; null selects the embedded PGlite database under `dataDir/db`. */
  readonly databaseUrl: string | null
  readonly redisUrl: string
  /** Absolute path of DATA_DIR (uploads, test sets, the embedded database). */
  readonly dataDir: string
  /** Where stored files live (STORAGE_URL): DATA_DIR/storage by default, another directory, or an S3-compatible bucket. */
  readonly storage: StorageLocation
  /** Bound of the local cache of objects read from S3 under DATA_DIR/cache, MB (STORAGE_CACHE_MB). */
  readonly storageCacheMb: number
  readonly port: number
  readonly host: string
  /** Largest accepted upload (one multipart file), enforced while streaming. */
  readonly maxUploadBytes: number
  /** Most entries an uploaded archive may hold. */
  readonly maxArchiveEntries: number
  /** Most bytes an uploaded archive may expand to (zip bombs). */
  readonly maxArchiveBytes: number
  /**
   * Most voxels an image of an uploaded test set may have (MAX_IMAGE_VOXELS), checked on its
   * header before any pixel is decoded. Predictions are held to their test series' size.
   */
  readonly maxImageVoxels: number
  /** Most distinct non-zero labels an uploaded prediction image may have (MAX_PREDICTION_LABELS). */
  readonly maxPredictionLabels: number
  /** Worker threads that decode and check uploaded images, at most, in each API process (IMAGE_VALIDATION_THREADS). */
  readonly imageValidationThreads: number
  /** JavaScript heap limit of each image-validation thread, MB (IMAGE_VALIDATION_HEAP_MB). */
  readonly imageValidationHeapMb: number
  /** Failed authentications allowed per client address and window before 429. */
  readonly authFailureLimit: number
  readonly authFailureWindowSeconds: number
  /** Queue-name prefix (tests run on private queues). */
  readonly queuePrefix: string
  /**
   * Behind a reverse proxy: which X-Forwarded-For hops to trust, so that the
   * failed-authentication limit applies per client rather than to the proxy. `false`: none
   * (the socket address); a number: that many proxies in front (the client is the entry that
   * many hops from the socket); a list: proxy addresses or CIDR ranges (or `loopback`,
   * `linklocal`, `uniquelocal`). Never "trust every hop": the leftmost entry is the client's to
   * choose.
   */
  readonly trustProxy: false | number | readonly string[]
  /** A secret that authorises `GET /metrics` as a Bearer token besides admin tokens; null: admins only. */
  readonly metricsToken: string | null
  /** HMAC key of queue-dashboard session cookies; null: a random key per process (sessions end on restart). */
  readonly sessionSecret: string | null
  /** Lifetime of a queue-dashboard session cookie. */
  readonly dashboardSessionSeconds: number
  /** Lifetime of a web session cookie (an API token exchanged at POST /api/v1/session). */
  readonly webSessionSeconds: number
  /**
   * Under perSeriesVisibility "organisers", participants see only means and counts, and no
   * value computed over fewer series than this.
   */
  readonly minAggregateSeries: number
  /** Most seconds an upload's body may take to arrive (408 after); Node's requestTimeout is this plus requestTimeoutSeconds. */
  readonly uploadTimeoutSeconds: number
  /** An upload that brings fewer than this many bytes per second over a progress window is cut off (408); 0 disables. */
  readonly uploadMinBytesPerSecond: number
  /** The window (seconds) over which the minimum upload rate is checked. */
  readonly uploadProgressWindowSeconds: number
  /**
   * How long (seconds) an upload that arrived and passed its checks waits for an unreachable
   * database (a restart) before it is answered 503 with Retry-After; 0: at once.
   */
  readonly uploadDatabaseRetrySeconds: number
  /** Most seconds the body of any other (non-multipart) request may take to arrive (408 after). */
  readonly requestTimeoutSeconds: number
  /** Open submission event streams per user (429 beyond), per API process. */
  readonly maxEventStreamsPerUser: number
  /** Open submission event streams in all (429 beyond), per API process. */
  readonly maxEventStreams: number
  /** Model validations (algorithm uploads) running at once in this API process; one more gets 429 with Retry-After. */
  readonly maxConcurrentModelValidations: number
  /** What an algorithm gets per test series (INFERENCE_*), stated in every phase document. */
  readonly inference: InferenceLimits
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

/**
 * TRUST_PROXY: a hop count or a comma-separated list of proxy addresses / CIDR ranges
 * (Fastify's `trustProxy` forms). `true` is refused: trusting every hop lets any client pick
 * its address with X-Forwarded-For.
 */
function trustProxy(env: NodeJS.ProcessEnv): false | number | string[] {
  const raw = (env.TRUST_PROXY ?? '').trim()
  if (raw === '' || raw.toLowerCase() === 'false') return false
  if (raw.toLowerCase() === 'true') {
    throw new ConfigError(
      'TRUST_PROXY=true would trust every X-Forwarded-For entry, so any client could choose its address; ' +
        'give the number of proxies in front of the API (e.g. TRUST_PROXY=1) ' +
        'or their addresses (e.g. TRUST_PROXY=10.0.0.5,172.16.0.0/12)',
    )
  }
  if (/^\d+$/.test(raw)) {
    const hops = Number(raw)
    if (hops > 16) throw new ConfigError(`TRUST_PROXY as a hop count must be between 0 and 16, got ${hops}`)
    return hops === 0 ? false : hops
  }
  const entries = raw.split(',').map((e) => e.trim())
  const bad = entries.filter((e) => !isProxyAddress(e))
  if (bad.length > 0) {
    throw new ConfigError(
      'TRUST_PROXY must be a hop count or a comma-separated list of IP addresses or CIDR ranges, ' +
        `got ${bad.map((b) => `"${b}"`).join(', ')}`,
    )
  }
  return entries
}

const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal']

function isProxyAddress(entry: string): boolean {
  if (PROXY_RANGE_NAMES.includes(entry)) return true
  const slash = entry.indexOf('/')
  const address = slash < 0 ? entry : entry.slice(0, slash)
  const version = isIP(address)
  if (version === 0) return false
  if (slash < 0) return true
  const bits = entry.slice(slash + 1)
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (version === 4 ? 32 : 128)
}

/** A secret from the environment, or null; a short one is refused (it could be guessed). */
function secret(env: NodeJS.ProcessEnv, name: string, minLength: number): string | null {
  const raw = env[name]
  if (raw === undefined || raw === '') return null
  if (raw.length < minLength) throw new ConfigError(`${name} must be at least ${minLength} characters long (got ${raw.length})`)
  return raw
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

function storageLocation(env: NodeJS.ProcessEnv): StorageLocation {
  try {
    return parseStorageUrl(env.STORAGE_URL, env)
  } catch (err) {
    throw err instanceof StorageUrlError ? new ConfigError(err.message) : err
  }
}

function inferenceLimits(env: NodeJS.ProcessEnv): InferenceLimits {
  try {
    return loadInferenceLimits(env)
  } catch (err) {
    throw err instanceof InferenceLimitsError ? new ConfigError(err.message) : err
  }
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
    storage: attempt(() => storageLocation(env), { kind: 'file', root: null }),
    storageCacheMb: attempt(() => integer(env, 'STORAGE_CACHE_MB', 10_240, 1), 10_240),
    port: attempt(() => integer(env, 'PORT', 3000, 0, 65535), 3000),
    host: env.HOST || '127.0.0.1',
    maxUploadBytes: attempt(() => integer(env, 'MAX_UPLOAD_BYTES', 4 * GIB, 1), 4 * GIB),
    maxArchiveEntries: attempt(() => integer(env, 'MAX_ARCHIVE_ENTRIES', 10_000, 1), 10_000),
    maxArchiveBytes: attempt(() => integer(env, 'MAX_ARCHIVE_BYTES', 16 * GIB, 1), 16 * GIB),
    // 2^27 voxels (a 512³ volume, 256 MiB as int16): far more than a lumbar MRI series holds.
    maxImageVoxels: attempt(() => integer(env, 'MAX_IMAGE_VOXELS', 2 ** 27, 1), 2 ** 27),
    // SPIDER masks have fewer than 100 structures; the scorer's cost grows with the label count.
    maxPredictionLabels: attempt(() => integer(env, 'MAX_PREDICTION_LABELS', 1000, 1, 65_535), 1000),
    imageValidationThreads: attempt(() => integer(env, 'IMAGE_VALIDATION_THREADS', 2, 1, 64), 2),
    imageValidationHeapMb: attempt(() => integer(env, 'IMAGE_VALIDATION_HEAP_MB', 256, 32), 256),
    authFailureLimit: attempt(() => integer(env, 'AUTH_FAILURE_LIMIT', 10, 1), 10),
    authFailureWindowSeconds: attempt(() => integer(env, 'AUTH_FAILURE_WINDOW_SECONDS', 60, 1), 60),
    queuePrefix: env.SPIDER_QUEUE_PREFIX ?? '',
    trustProxy: attempt(() => trustProxy(env), false),
    metricsToken: attempt(() => secret(env, 'METRICS_TOKEN', 16), null),
    sessionSecret: attempt(() => secret(env, 'SESSION_SECRET', 32), null),
    dashboardSessionSeconds: attempt(() => integer(env, 'DASHBOARD_SESSION_SECONDS', 3600, 60, 7 * 24 * 3600), 3600),
    webSessionSeconds: attempt(() => integer(env, 'WEB_SESSION_SECONDS', 8 * 3600, 60, 30 * 24 * 3600), 8 * 3600),
    minAggregateSeries: attempt(() => integer(env, 'MIN_AGGREGATE_SERIES', 5, 1), 5),
    uploadTimeoutSeconds: attempt(() => integer(env, 'UPLOAD_TIMEOUT_SECONDS', 3600, 1), 3600),
    uploadMinBytesPerSecond: attempt(() => integer(env, 'UPLOAD_MIN_BYTES_PER_SECOND', 2048, 0), 2048),
    uploadProgressWindowSeconds: attempt(() => integer(env, 'UPLOAD_PROGRESS_WINDOW_SECONDS', 30, 1, 3600), 30),
    uploadDatabaseRetrySeconds: attempt(() => integer(env, 'UPLOAD_DATABASE_RETRY_SECONDS', 15, 0, 600), 15),
    requestTimeoutSeconds: attempt(() => integer(env, 'REQUEST_TIMEOUT_SECONDS', 60, 1, 3600), 60),
    maxEventStreamsPerUser: attempt(() => integer(env, 'MAX_EVENT_STREAMS_PER_USER', 10, 1), 10),
    maxEventStreams: attempt(() => integer(env, 'MAX_EVENT_STREAMS', 1000, 1), 1000),
    maxConcurrentModelValidations: attempt(() => integer(env, 'MAX_CONCURRENT_MODEL_VALIDATIONS', 2, 1), 2),
    inference: attempt(() => inferenceLimits(env), DEFAULT_INFERENCE_LIMITS),
    ...overrides,
  }
  if (problems.length > 0) throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`)
  return config
}
