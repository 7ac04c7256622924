import { createHash } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { rm } from 'node:fs/promises'
import { pipeline as pipe, Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'
import { getSignedUrl } from '@aws-sdk/s3-request-presigner'
import { LocalCache } from './local-cache.ts'
import {
  MAX_PRESIGNED_UPLOAD_BYTES,
  StorageError,
  validateKey,
  type LocalFile,
  type PresignedUpload,
  type PresignUploadOptions,
  type Storage,
  type StoredObject,
} from './storage.ts'

export interface S3StorageOptions {
  readonly bucket: string
  /** Key prefix in the bucket (`spider` or `a/b`; '' for none): objects are `<prefix>/<key>`. */
  readonly prefix?: string
  /** S3-compatible endpoint (http://host:port); unset: AWS S3. */
  readonly endpoint?: string
  /** Default: AWS_REGION, else us-east-1 when an endpoint is given. */
  readonly region?: string
  /** Path-style URLs (`endpoint/bucket/key`), as most S3-compatible servers need. */
  readonly forcePathStyle?: boolean
  /**
   * Explicit credentials (tests); unset: the SDK's default chain (AWS_ACCESS_KEY_ID,
   * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_PROFILE, web identity, instance roles).
   */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string }
  /** Local cache for localFile (DATA_DIR/cache): verified copies, at most cacheMaxBytes when none is in use. */
  readonly cacheDir: string
  readonly cacheMaxBytes: number
  /** Multipart part size, bytes (at least 5 MiB, default 8 MiB); content up to this size is sent in one PUT. */
  readonly partSize?: number
  /** Parts sent at once (default 4). */
  readonly queueSize?: number
}

const MIB = 1024 * 1024
const SHA256 = /^[0-9a-f]{64}$/
const MAX_PRESIGN_SECONDS = 3600

const sha256Hex = (data: Uint8Array) => createHash('sha256').update(data).digest('hex')

/** The object under the key was replaced between the HEAD and the GET of a download. */
class ReplacedError extends Error {}

/**
 * S3-compatible object storage (AWS S3, MinIO, Ceph RGW, Garage). Every object carries the
 * SHA-256 of its content as user metadata (`x-amz-meta-sha256`), computed while the content
 * streams in; reads verify it: `get` and `localFile` before handing anything out, `stream` at
 * its end (the stream fails instead of ending). An object without that metadata counts as
 * corrupt. Content larger than one part is spooled to a local file while it is hashed (S3 takes
 * the metadata when an upload starts) and sent in parts. Nothing is made public: no ACLs are
 * set, and the only URLs handed out are short presigned uploads of a fixed size and checksum.
 */
export class S3Storage implements Storage {
  readonly client: S3Client
  readonly bucket: string
  readonly prefix: string
  readonly cache: LocalCache
  private readonly partSize: number
  private readonly queueSize: number

  constructor(options: S3StorageOptions) {
    this.bucket = options.bucket
    this.prefix = options.prefix ? validateKey(options.prefix) : ''
    this.partSize = options.partSize ?? 8 * MIB
    if (this.partSize < 5 * MIB) throw new RangeError('S3 parts are at least 5 MiB')
    this.queueSize = options.queueSize ?? 4
    const region = options.region ?? process.env.AWS_REGION ?? (options.endpoint ? 'us-east-1' : undefined)
    this.client = new S3Client({
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(region ? { region } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
      forcePathStyle: options.forcePathStyle ?? false,
      // Checksums of our own (sha256 metadata); the SDK's default CRC trailers (aws-chunked
      // bodies) are not understood by every S3-compatible server.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    })
    this.cache = new LocalCache({ dir: options.cacheDir, maxBytes: options.cacheMaxBytes })
  }

  /** Closes the client's connections. */
  close(): void {
    this.client.destroy()
  }

  private objectKey(key: string): string {
    validateKey(key)
    return this.prefix ? `${this.prefix}/${key}` : key
  }

  private async send<T>(key: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run()
    } catch (err) {
      if (
        err instanceof S3ServiceException &&
        (err.name === 'NoSuchKey' || err.name === 'NotFound' || err.$metadata.httpStatusCode === 404)
      ) {
        throw new StorageError('not_found', `no stored object "${key}"`)
      }
      throw err
    }
  }

  private recordedSha(key: string, metadata: Record<string, string> | undefined): string {
    const sha = metadata?.sha256
    if (!sha || !SHA256.test(sha)) {
      throw new StorageError('corrupt', `stored object "${key}" has no recorded SHA-256 (it was not stored through spider-bench)`)
    }
    return sha
  }

  private mismatch(key: string, recorded: string, actual: string): StorageError {
    return new StorageError('corrupt', `stored object "${key}" is corrupt: its content has SHA-256 ${actual}, recorded ${recorded}`)
  }

  async put(key: string, content: Readable | Uint8Array | string): Promise<StoredObject> {
    const objectKey = this.objectKey(key)
    if (!(content instanceof Readable)) {
      const body = typeof content === 'string' ? Buffer.from(content) : Buffer.from(content.buffer, content.byteOffset, content.byteLength)
      const sha256 = sha256Hex(body)
      await this.upload(objectKey, body, sha256)
      return { key, size: body.length, sha256 }
    }
    // The first part in memory: a small object goes up from there in one PUT.
    const hash = createHash('sha256')
    const head: Buffer[] = []
    let size = 0
    const source = content[Symbol.asyncIterator]()
    let more = true
    try {
      while (size <= this.partSize) {
        const next = await source.next()
        if (next.done) {
          more = false
          break
        }
        const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value as string)
        hash.update(chunk)
        head.push(chunk)
        size += chunk.length
      }
    } catch (err) {
      content.destroy()
      throw err
    }
    if (!more) {
      const sha256 = hash.digest('hex')
      await this.upload(objectKey, Buffer.concat(head), sha256)
      return { key, size, sha256 }
    }
    // A large object: spooled to a local file while hashed, then sent in parts.
    const spool = await this.cache.tempPath()
    try {
      async function* rest() {
        yield* head
        for (;;) {
          const next = await source.next()
          if (next.done) return
          const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value as string)
          hash.update(chunk)
          size += chunk.length
          yield chunk
        }
      }
      try {
        await pipeline(Readable.from(rest()), createWriteStream(spool, { flags: 'wx' }))
      } finally {
        content.destroy()
      }
      const sha256 = hash.digest('hex')
      await this.upload(objectKey, createReadStream(spool), sha256)
      return { key, size, sha256 }
    } finally {
      await rm(spool, { force: true })
    }
  }

  private async upload(objectKey: string, body: Buffer | Readable, sha256: string): Promise<void> {
    const params = { Bucket: this.bucket, Key: objectKey, Metadata: { sha256 } }
    if (Buffer.isBuffer(body) && body.length <= this.partSize) {
      await this.client.send(new PutObjectCommand({ ...params, Body: body, ContentLength: body.length }))
      return
    }
    await new Upload({ client: this.client, params: { ...params, Body: body }, partSize: this.partSize, queueSize: this.queueSize }).done()
  }

  async get(key: string): Promise<Buffer> {
    const res = await this.send(key, () => this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) })))
    const recorded = this.recordedSha(key, res.Metadata)
    const body = Buffer.from(await res.Body!.transformToByteArray())
    const actual = sha256Hex(body)
    if (actual !== recorded) throw this.mismatch(key, recorded, actual)
    return body
  }

  /** The content as it arrives; at its end a content that does not match its checksum fails the stream (StorageError 'corrupt'). */
  async stream(key: string): Promise<Readable> {
    const res = await this.send(key, () => this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) })))
    const body = res.Body as Readable
    let recorded: string
    try {
      recorded = this.recordedSha(key, res.Metadata)
    } catch (err) {
      body.destroy()
      throw err
    }
    const hash = createHash('sha256')
    const mismatch = (actual: string) => this.mismatch(key, recorded, actual)
    const verify = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk)
        done(null, chunk)
      },
      flush(done) {
        const actual = hash.digest('hex')
        done(actual === recorded ? null : mismatch(actual))
      },
    })
    pipe(body, verify, () => undefined)
    return verify
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }))
  }

  /** Every object key under `prefix/` in the bucket (full keys, this store's prefix included). */
  private async *objectKeys(prefix: string): AsyncGenerator<string> {
    const Prefix = `${this.objectKey(prefix)}/`
    let ContinuationToken: string | undefined
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix, ContinuationToken }))
      for (const o of page.Contents ?? []) if (o.Key) yield o.Key
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined
    } while (ContinuationToken)
  }

  async deletePrefix(prefix: string): Promise<void> {
    let batch: string[] = []
    const flush = async () => {
      if (batch.length === 0) return
      const res = await this.client.send(
        new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }),
      )
      if (res.Errors?.length) throw new Error(`could not delete ${res.Errors.length} objects under "${prefix}/": ${res.Errors[0].Message}`)
      batch = []
    }
    for await (const key of this.objectKeys(prefix)) {
      batch.push(key)
      if (batch.length === 1000) await flush()
    }
    await flush()
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.send(key, () => this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) })))
      return true
    } catch (err) {
      if (err instanceof StorageError && err.code === 'not_found') return false
      throw err
    }
  }

  async list(prefix: string): Promise<string[]> {
    const strip = this.prefix ? this.prefix.length + 1 : 0
    const out: string[] = []
    for await (const objectKey of this.objectKeys(prefix)) {
      const key = objectKey.slice(strip)
      try {
        out.push(validateKey(key))
      } catch {
        // not an object of this store
      }
    }
    return out.sort()
  }

  /**
   * A verified local copy from the cache (LocalCache), whose entries are named by the content's
   * SHA-256. With `expected` (the checksum recorded when the file was stored, e.g. a test
   * series' in the database) a cached copy is handed out without asking the store, and a missing
   * one is downloaded (one GET) and must have that checksum. Otherwise the object's recorded
   * SHA-256 (one HEAD) names the entry; a missing entry is downloaded once, verified, then handed out.
   */
  async localFile(key: string, expected?: { readonly sha256: string }): Promise<LocalFile> {
    const objectKey = this.objectKey(key)
    const name = key.slice(key.lastIndexOf('/') + 1)
    if (expected) {
      try {
        return await this.cache.lease(expected.sha256, name, (path) => this.download(key, objectKey, expected.sha256, path))
      } catch (err) {
        if (!(err instanceof ReplacedError)) throw err
        throw new StorageError('corrupt', `stored object "${key}" is not the one expected (SHA-256 ${expected.sha256})`)
      }
    }
    for (let attempt = 1; ; attempt++) {
      const head = await this.send(key, () => this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: objectKey })))
      const recorded = this.recordedSha(key, head.Metadata)
      try {
        return await this.cache.lease(recorded, name, (path) => this.download(key, objectKey, recorded, path))
      } catch (err) {
        if (!(err instanceof ReplacedError) || attempt === 3) throw err
      }
    }
  }

  private async download(key: string, objectKey: string, recorded: string, path: string): Promise<string> {
    const res = await this.send(key, () => this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: objectKey })))
    const body = res.Body as Readable
    if (res.Metadata?.sha256 !== recorded) {
      body.destroy()
      throw new ReplacedError(`stored object "${key}" was replaced while it was being read`)
    }
    return this.write(key, body, recorded, path)
  }

  /** Writes `body` to `path` while hashing it; content other than `recorded` is corrupt. */
  private async write(key: string, body: Readable, recorded: string, path: string): Promise<string> {
    const hash = createHash('sha256')
    await pipeline(
      body,
      new Transform({
        transform(chunk: Buffer, _encoding, done) {
          hash.update(chunk)
          done(null, chunk)
        },
      }),
      createWriteStream(path, { flags: 'wx' }),
    )
    const actual = hash.digest('hex')
    if (actual !== recorded) throw this.mismatch(key, recorded, actual)
    return actual
  }

  /**
   * A presigned PUT for exactly `size` bytes with the given SHA-256: the length, the checksum
   * metadata and the S3 checksum header are signed (AWS S3 refuses content that does not match
   * the checksum; reads verify it on every backend). Valid for `expiresSeconds` (default 900,
   * at most 3600); no ACL, so the object stays private.
   */
  async presignUpload(key: string, options: PresignUploadOptions): Promise<PresignedUpload> {
    const { size, sha256, expiresSeconds = 900 } = options
    if (!Number.isSafeInteger(size) || size < 0 || size > MAX_PRESIGNED_UPLOAD_BYTES) {
      throw new RangeError(`a presigned upload holds 0 to ${MAX_PRESIGNED_UPLOAD_BYTES} bytes, got ${size}`)
    }
    if (!SHA256.test(sha256)) throw new RangeError(`sha256 must be 64 lowercase hex digits, got "${sha256}"`)
    if (!Number.isInteger(expiresSeconds) || expiresSeconds < 1 || expiresSeconds > MAX_PRESIGN_SECONDS) {
      throw new RangeError(`expiresSeconds must be between 1 and ${MAX_PRESIGN_SECONDS}, got ${expiresSeconds}`)
    }
    const checksum = Buffer.from(sha256, 'hex').toString('base64')
    const headers = { 'x-amz-meta-sha256': sha256, 'x-amz-checksum-sha256': checksum }
    const expiresAt = new Date(Date.now() + expiresSeconds * 1000)
    const command = new PutObjectCommand({
      Bucket: this.bucket,
      Key: this.objectKey(key),
      ContentLength: size,
      Metadata: { sha256 },
      ChecksumSHA256: checksum,
    })
    const url = await getSignedUrl(this.client, command, {
      expiresIn: expiresSeconds,
      unhoistableHeaders: new Set(Object.keys(headers)),
      signableHeaders: new Set(['content-length']),
    })
    return { url, method: 'PUT', headers, expiresAt }
  }
}
