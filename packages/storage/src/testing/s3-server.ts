import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import S3rver from 's3rver'

/** s3rver's fixed account (it accepts only these). */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const

export interface TestS3Server {
  /** http://127.0.0.1:<port> */
  readonly endpoint: string
  /** The bucket created at start. */
  readonly bucket: string
  readonly region: string
  /** Where the server keeps its objects (removed by stop() when the server made it). */
  readonly directory: string
  /** STORAGE_URL of a prefix in the bucket (s3://bucket/prefix?endpoint=...&region=...&forcePathStyle=true). */
  storageUrl(prefix?: string): string
  /** Environment for a server or worker process using the bucket: STORAGE_URL and the AWS credential variables. */
  env(prefix?: string): Record<string, string>
  /** Creates another bucket. */
  createBucket(name: string): Promise<void>
  stop(): Promise<void>
}

export interface StartS3ServerOptions {
  /** Default "spider-test". */
  readonly bucket?: string
  /** Default: a fresh temporary directory. */
  readonly directory?: string
  /** Default 0: a free port. */
  readonly port?: number
}

/**
 * Starts a real S3 API server (npm s3rver: HTTP, path-style, objects in a directory) on
 * 127.0.0.1 in this process, with one bucket, for tests of S3Storage and of processes sharing an
 * object store. s3rver checks no V4 signature (so presigned URLs' signed length and checksum
 * are not enforced there; expiry is), and keeps user metadata and multipart uploads like S3.
 * Also turns off the AWS SDK's Node-version notice in this process, so passing tests print
 * nothing.
 */
export async function startS3Server(options: StartS3ServerOptions = {}): Promise<TestS3Server> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
  const bucket = options.bucket ?? 'spider-test'
  const ownDirectory = options.directory === undefined
  const directory = options.directory ?? (await mkdtemp(join(tmpdir(), 's3rver-')))
  const server = new S3rver({
    address: '127.0.0.1',
    port: options.port ?? 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  })
  let port: number
  try {
    port = (await server.run()).port
  } catch (err) {
    if (ownDirectory) await rm(directory, { recursive: true, force: true })
    throw err
  }
  const endpoint = `http://127.0.0.1:${port}`
  const region = 'us-east-1'
  const storageUrl = (prefix = '') =>
    `s3://${bucket}${prefix ? `/${prefix}` : ''}?endpoint=${encodeURIComponent(endpoint)}&region=${region}&forcePathStyle=true`
  let stopped: Promise<void> | null = null
  return {
    endpoint,
    bucket,
    region,
    directory,
    storageUrl,
    env: (prefix) => ({
      STORAGE_URL: storageUrl(prefix),
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
      AWS_REGION: region,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    }),
    async createBucket(name) {
      const res = await fetch(`${endpoint}/${name}`, { method: 'PUT' })
      if (!res.ok) throw new Error(`s3rver: creating bucket ${name} failed: ${res.status} ${await res.text()}`)
    },
    stop: () =>
      (stopped ??= (async () => {
        await server.close()
        if (ownDirectory) await rm(directory, { recursive: true, force: true })
      })()),
  }
}
