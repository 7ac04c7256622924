import { fileURLToPath } from 'node:url'

/** Where stored files live (STORAGE_URL); @spider-bench/storage createStorage opens it. */
export type StorageLocation =
  | {
      readonly kind: 'file'
      /** Absolute directory; null: DATA_DIR/storage. */
      readonly root: string | null
    }
  | {
      readonly kind: 's3'
      readonly bucket: string
      /** Key prefix in the bucket, without slashes at either end; '' for none. */
      readonly prefix: string
      /** S3-compatible endpoint (origin only); null: AWS S3. */
      readonly endpoint: string | null
      /** From `?region=`, else AWS_REGION or AWS_DEFAULT_REGION; null only with an endpoint. */
      readonly region: string | null
      readonly forcePathStyle: boolean
    }

/** A bad STORAGE_URL; the message says what is wrong (loadConfig reports it as a ConfigError). */
export class StorageUrlError extends Error {
  override name = 'StorageUrlError'
}

const USAGE = 'file:///absolute/path or s3://bucket[/prefix][?endpoint=http://host:port&region=...&forcePathStyle=true]'
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/
/** Like storage keys' segments (packages/storage validateKey). */
const SEGMENT = /^[A-Za-z0-9_.@+=-][A-Za-z0-9_.@+= -]*$/
const S3_PARAMS = ['endpoint', 'region', 'forcePathStyle']

/**
 * Reads STORAGE_URL: unset or empty is the file store in DATA_DIR/storage; `file:///abs/path` a
 * file store elsewhere; `s3://bucket/prefix?endpoint=...&region=...&forcePathStyle=true` an
 * S3-compatible bucket (credentials come from the AWS environment variables, never the URL;
 * forcePathStyle defaults to true with an endpoint, false for AWS S3).
 */
export function parseStorageUrl(raw: string | undefined, env: NodeJS.ProcessEnv = {}): StorageLocation {
  if (raw === undefined || raw.trim() === '') return { kind: 'file', root: null }
  const value = raw.trim()
  const fail = (problem: string): never => {
    throw new StorageUrlError(`STORAGE_URL ${problem}`)
  }
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(value)?.[1].toLowerCase()
  if (scheme === 'file') {
    let url: URL
    try {
      url = new URL(value)
    } catch {
      return fail(`is not a valid URL: "${value}"`)
    }
    if (!/^file:\/\//i.test(value) || (url.host !== '' && url.host !== 'localhost')) {
      fail(`must name an absolute path with three slashes (file:///srv/spider/storage), got "${value}"`)
    }
    if (url.search || url.hash) fail(`file:// takes no query or fragment, got "${value}"`)
    const root = fileURLToPath(url).replace(/(.)\/+$/, '$1')
    if (root === '/') fail('must not be the root directory')
    return { kind: 'file', root }
  }
  if (scheme !== 's3') return fail(`must be ${USAGE}, got "${scheme ? `${scheme}://...` : value}"`)

  const m = /^s3:\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?(#.*)?$/i.exec(value)
  if (!m) return fail(`must be ${USAGE}`)
  const [, bucket, path, query = '', fragment] = m
  if (bucket.includes('@')) fail('must not hold credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY')
  if (!BUCKET.test(bucket) || bucket.includes('..') || /^\d+\.\d+\.\d+\.\d+$/.test(bucket)) {
    fail(`names an invalid bucket "${bucket}" (3 to 63 lowercase letters, digits, dots and hyphens; a letter or digit at each end)`)
  }
  if (fragment) fail(`takes no fragment, got "${fragment}"`)
  const prefix = path.replace(/^\/+|\/+$/g, '')
  for (const segment of prefix === '' ? [] : prefix.split('/')) {
    if (segment === '.' || segment === '..' || !SEGMENT.test(segment)) {
      fail(`has an invalid key prefix "${prefix}" (segment "${segment}"): use letters, digits and _.@+=- between single slashes`)
    }
  }
  const params = new URLSearchParams(query)
  for (const name of new Set(params.keys())) {
    if (!S3_PARAMS.includes(name)) fail(`has an unknown parameter "${name}" (known: ${S3_PARAMS.join(', ')})`)
    if (params.getAll(name).length > 1) fail(`repeats the parameter "${name}"`)
  }
  let endpoint: string | null = null
  const rawEndpoint = params.get('endpoint')
  if (rawEndpoint !== null) {
    let url: URL
    try {
      url = new URL(rawEndpoint)
    } catch {
      return fail(`has an endpoint that is not a URL: "${rawEndpoint}"`)
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') fail(`endpoint must be an http:// or https:// URL, got "${rawEndpoint}"`)
    if (url.username || url.password) fail('endpoint must not hold credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY')
    if (url.pathname !== '/' || url.search || url.hash)
      fail(`endpoint must be an origin (http://host:port) without a path, got "${rawEndpoint}"`)
    endpoint = url.origin
  }
  const region = params.get('region') ?? (env.AWS_REGION || env.AWS_DEFAULT_REGION || null)
  if (region !== null && !/^[a-z0-9-]{1,64}$/.test(region)) fail(`has an invalid region "${region}"`)
  if (region === null && endpoint === null) fail('needs the bucket\'s region: add "?region=eu-west-1" or set AWS_REGION')
  const style = params.get('forcePathStyle')
  if (style !== null && style !== 'true' && style !== 'false') fail(`forcePathStyle must be true or false, got "${style}"`)
  const forcePathStyle = style === null ? endpoint !== null : style === 'true'
  return { kind: 's3', bucket, prefix, endpoint, region, forcePathStyle }
}
