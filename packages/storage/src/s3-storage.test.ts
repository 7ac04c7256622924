// What only S3Storage does, against a real S3 API server (s3rver); the Storage contract
// (storage-contract.test.ts) runs against it too.
import { describe, it, expect, beforeAll, afterAll, beforeEach, afterEach } from 'vitest'
import { spawn } from 'node:child_process'
import { createHash, randomUUID } from 'node:crypto'
import { link, mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { HeadObjectCommand } from '@aws-sdk/client-s3'
import { loadConfig } from '@spider-bench/config'
import { createStorage } from './create-storage.ts'
import { FileStorage } from './file-storage.ts'
import { S3Storage, type S3StorageOptions } from './s3-storage.ts'
import { MAX_PRESIGNED_UPLOAD_BYTES } from './storage.ts'
import { StorageError, withLocalFile } from './storage.ts'
import { countCommands } from './testing/s3-commands.ts'
import { startS3Server, S3RVER_CREDENTIALS, type TestS3Server } from './testing/s3-server.ts'

const MIB = 1024 * 1024
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex')

let s3: TestS3Server
let cacheDir: string
const opened: S3Storage[] = []

beforeAll(async () => {
  s3 = await startS3Server()
})
afterAll(async () => {
  await s3?.stop()
})
beforeEach(async () => {
  cacheDir = await mkdtemp(join(tmpdir(), 's3-storage-cache-'))
})
afterEach(async () => {
  for (const s of opened.splice(0)) s.close()
  await rm(cacheDir, { recursive: true, force: true })
})

const optionsOf = new WeakMap<S3Storage, S3StorageOptions>()
const storageOptions = (storage: S3Storage) => optionsOf.get(storage)!

function open(options: Partial<S3StorageOptions> = {}): S3Storage {
  const all: S3StorageOptions = {
    bucket: s3.bucket,
    prefix: `s3/${randomUUID()}`,
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: S3RVER_CREDENTIALS,
    cacheDir,
    cacheMaxBytes: 64 * MIB,
    partSize: 5 * MIB,
    ...options,
  }
  const storage = new S3Storage(all)
  optionsOf.set(storage, all)
  opened.push(storage)
  return storage
}

describe('S3Storage', () => {
  it('sends small objects in one PUT and large ones in parts, with the checksum as metadata', async () => {
    const storage = open()
    const counts = countCommands(storage.client)
    await storage.put('small.bin', Readable.from([Buffer.alloc(5 * MIB, 1)]))
    expect(counts.get('PutObjectCommand')).toBe(1)
    expect(counts.get('CreateMultipartUploadCommand')).toBeUndefined()
    const large = Buffer.alloc(12 * MIB, 2)
    await storage.put('large.bin', Readable.from([large.subarray(0, MIB), large.subarray(MIB)]))
    expect(counts.get('CreateMultipartUploadCommand')).toBe(1)
    expect(counts.get('UploadPartCommand')).toBe(3)
    expect(counts.get('CompleteMultipartUploadCommand')).toBe(1)
    const head = await storage.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: `${storage.prefix}/large.bin` }))
    expect(head.Metadata).toEqual({ sha256: sha(large) })
    expect(head.ContentLength).toBe(large.length)
    // The spooled copy is gone.
    for (const dir of await readdir(join(cacheDir, 'tmp'))) expect(await readdir(join(cacheDir, 'tmp', dir))).toEqual([])
  })

  it('keeps each store to its prefix', async () => {
    const a = open({ prefix: 'tenant-a/files' })
    const b = open({ prefix: 'tenant-b' })
    await a.put('x/1', 'a1')
    await b.put('x/1', 'b1')
    await b.put('x/2', 'b2')
    expect(await a.list('x')).toEqual(['x/1'])
    await a.deletePrefix('x')
    expect(await b.list('x')).toEqual(['x/1', 'x/2'])
    expect((await b.get('x/1')).toString()).toBe('b1')
    await b.deletePrefix('x')
  })

  it('presigns a private PUT of a fixed size and checksum, for a short time', async () => {
    const storage = open()
    const body = Buffer.from('a test set archive, uploaded directly')
    const before = Date.now()
    const upload = await storage.presignUpload('uploads/u1/archive.zip', { size: body.length, sha256: sha(body), expiresSeconds: 60 })
    expect(upload.method).toBe('PUT')
    expect(upload.expiresAt.getTime()).toBeGreaterThanOrEqual(before + 60_000)
    expect(upload.expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + 60_000)
    const url = new URL(upload.url)
    expect(url.origin).toBe(s3.endpoint)
    expect(url.pathname).toBe(`/${s3.bucket}/${storage.prefix}/uploads/u1/archive.zip`)
    expect(url.searchParams.get('X-Amz-Expires')).toBe('60')
    expect(url.searchParams.get('X-Amz-SignedHeaders')?.split(';')).toEqual(
      expect.arrayContaining(['content-length', 'host', 'x-amz-checksum-sha256', 'x-amz-meta-sha256']),
    )
    expect([...url.searchParams.keys()].filter((k) => /acl|grant/i.test(k))).toEqual([])
    expect(upload.headers).toEqual({
      'x-amz-meta-sha256': sha(body),
      'x-amz-checksum-sha256': Buffer.from(sha(body), 'hex').toString('base64'),
    })

    const res = await fetch(upload.url, { method: upload.method, headers: upload.headers, body })
    expect(res.status).toBe(200)
    expect((await storage.get('uploads/u1/archive.zip')).equals(body)).toBe(true)

    // Other content under the same URL: refused by a store that checks the checksum (AWS S3),
    // else (s3rver checks no signature) refused on every read.
    const other = Buffer.from(body).fill(0x41, 0, 8)
    const forged = await fetch(upload.url, { method: upload.method, headers: upload.headers, body: other })
    if (forged.ok) {
      const err = await storage.get('uploads/u1/archive.zip').catch((e: unknown) => e)
      expect(err).toBeInstanceOf(StorageError)
      expect((err as StorageError).code).toBe('corrupt')
    } else {
      expect(forged.status).toBe(400)
    }
  })

  it('refuses an expired presigned upload and bad presign options', async () => {
    const storage = open()
    const upload = await storage.presignUpload('late.bin', { size: 3, sha256: sha('abc'), expiresSeconds: 1 })
    await new Promise((resolve) => setTimeout(resolve, 2100))
    const res = await fetch(upload.url, { method: 'PUT', headers: upload.headers, body: 'abc' })
    expect(res.status).toBe(403)
    expect(await res.text()).toContain('Request has expired')
    expect(await storage.exists('late.bin')).toBe(false)

    const good = { size: 3, sha256: sha('abc') }
    await expect(storage.presignUpload('x', { ...good, size: MAX_PRESIGNED_UPLOAD_BYTES + 1 })).rejects.toThrow(RangeError)
    await expect(storage.presignUpload('x', { ...good, size: -1 })).rejects.toThrow(RangeError)
    await expect(storage.presignUpload('x', { ...good, sha256: 'ABC' })).rejects.toThrow('sha256 must be 64 lowercase hex digits')
    await expect(storage.presignUpload('x', { ...good, expiresSeconds: 7200 })).rejects.toThrow('expiresSeconds must be between 1 and 3600')
    await expect(storage.presignUpload('../x', good)).rejects.toThrow(StorageError)
  })

  it('downloads an object once for processes sharing the cache directory', async () => {
    const a = open({ prefix: 'shared' })
    const b = open({ prefix: 'shared' })
    const data = Buffer.alloc(3 * MIB, 9)
    await a.put('models/m.onnx', data)
    const countsA = countCommands(a.client)
    const countsB = countCommands(b.client)
    const files = await Promise.all([
      ...Array.from({ length: 4 }, () => a.localFile('models/m.onnx')),
      ...Array.from({ length: 4 }, () => b.localFile('models/m.onnx')),
    ])
    expect((countsA.get('GetObjectCommand') ?? 0) + (countsB.get('GetObjectCommand') ?? 0)).toBe(1)
    expect(new Set(files.map((f) => f.path)).size).toBe(8)
    for (const f of files) expect((await stat(f.path)).size).toBe(data.length)
    await Promise.all(files.map((f) => f.release()))
    expect(await readdir(join(cacheDir, 'objects'))).toEqual([sha(data)])
    expect(await readdir(join(cacheDir, 'locks'))).toEqual([])
    await a.deletePrefix('models')
  })

  it('hands out a cached copy without asking the store when the caller knows the checksum, and refuses other content', async () => {
    const storage = open()
    const data = Buffer.alloc(2 * MIB, 3)
    const { sha256 } = await storage.put('masks/1_t1.mha', data)
    const counts = countCommands(storage.client)
    const first = await storage.localFile('masks/1_t1.mha', { sha256 })
    expect(Object.fromEntries(counts)).toEqual({ GetObjectCommand: 1 })
    const second = await storage.localFile('masks/1_t1.mha', { sha256 })
    expect(Object.fromEntries(counts)).toEqual({ GetObjectCommand: 1 })
    expect((await stat(second.path)).size).toBe(data.length)
    await Promise.all([first.release(), second.release()])
    const err = await storage.localFile('masks/1_t1.mha', { sha256: sha('another file') }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(StorageError)
    expect((err as StorageError).code).toBe('corrupt')
    expect(await readdir(join(cacheDir, 'objects'))).toEqual([sha256])
  })

  it('downloads an object once when another process asks for it at the same time', async () => {
    const storage = open({ prefix: `two-processes/${randomUUID()}` })
    const data = Buffer.alloc(24 * MIB, 5)
    await storage.put('images/big.mha', data)
    const counts = countCommands(storage.client)
    // The other process: its own S3Storage on the same cache directory; it reports its GETs and the file's size.
    const code = `
      import { stat } from 'node:fs/promises'
      import { S3Storage } from ${JSON.stringify(new URL('./s3-storage.ts', import.meta.url).pathname)}
      import { countCommands } from ${JSON.stringify(new URL('./testing/s3-commands.ts', import.meta.url).pathname)}
      const storage = new S3Storage(JSON.parse(process.env.OPTIONS))
      const counts = countCommands(storage.client)
      process.stdout.write('ready\\n')
      process.stdin.once('data', async () => {
        const file = await storage.localFile('images/big.mha')
        const size = (await stat(file.path)).size
        await file.release()
        process.stdout.write(JSON.stringify({ gets: counts.get('GetObjectCommand') ?? 0, size }) + '\\n')
        storage.close()
        process.stdin.destroy()
      })`
    const options = { ...storageOptions(storage), cacheDir, cacheMaxBytes: 64 * MIB }
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      env: { ...process.env, OPTIONS: JSON.stringify(options) },
      stdio: ['pipe', 'pipe', 'inherit'],
    })
    const lines: string[] = []
    let buffered = ''
    const line = () =>
      new Promise<string>((resolve, reject) => {
        const next = () => {
          if (lines.length > 0) return resolve(lines.shift()!)
          child.stdout.once('data', (d: Buffer) => {
            buffered += d.toString()
            const parts = buffered.split('\n')
            buffered = parts.pop()!
            lines.push(...parts)
            next()
          })
        }
        child.once('exit', (c) => reject(new Error(`the other process exited (${c})`)))
        next()
      })
    expect(await line()).toBe('ready')
    child.stdin.write('go\n')
    const mine = await Promise.all(Array.from({ length: 3 }, () => storage.localFile('images/big.mha')))
    const theirs = JSON.parse(await line()) as { gets: number; size: number }
    expect(theirs.size).toBe(data.length)
    for (const f of mine) expect((await stat(f.path)).size).toBe(data.length)
    await Promise.all(mine.map((f) => f.release()))
    expect((counts.get('GetObjectCommand') ?? 0) + theirs.gets).toBe(1)
  })

  it('frees the cache entries held by a process that died', async () => {
    const storage = open({ cacheMaxBytes: MIB })
    await storage.put('a.bin', Buffer.alloc(MIB, 1))
    await storage.put('b.bin', Buffer.alloc(MIB, 2))
    const pid = await new Promise<number>((resolve, reject) => {
      const child = spawn(process.execPath, ['-e', '0'])
      child.on('error', reject)
      child.on('exit', () => resolve(child.pid!))
    })
    // A lease left by that process: a hard link to the entry of a.bin.
    await withLocalFile(storage, 'a.bin', async () => undefined)
    const entry = join(cacheDir, 'objects', sha(Buffer.alloc(MIB, 1)))
    const dead = join(cacheDir, 'leases', `${pid}-0badc0de@${hostname()}`, 'x')
    await mkdir(dead, { recursive: true })
    await link(entry, join(dead, 'a.bin'))
    expect((await stat(entry)).nlink).toBe(2)
    // Another cache on the directory (a process started later) removes it, so a.bin can go.
    const later = open({ prefix: storage.prefix, cacheMaxBytes: MIB })
    await withLocalFile(later, 'b.bin', async () => undefined)
    await expect(stat(join(cacheDir, 'leases', `${pid}-0badc0de@${hostname()}`))).rejects.toThrow()
    expect(await readdir(join(cacheDir, 'objects'))).toEqual([sha(Buffer.alloc(MIB, 2))])
  })
})

describe('createStorage', () => {
  it('opens DATA_DIR/storage by default, another directory for file://, and a bucket for s3://', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'create-storage-'))
    try {
      const byDefault = await createStorage(loadConfig({ DATA_DIR: dataDir }))
      expect(byDefault).toBeInstanceOf(FileStorage)
      expect((byDefault as FileStorage).root).toBe(join(dataDir, 'storage'))
      const elsewhere = await createStorage(loadConfig({ DATA_DIR: dataDir, STORAGE_URL: `file://${dataDir}/files` }))
      expect((elsewhere as FileStorage).root).toBe(join(dataDir, 'files'))

      // Credentials from the AWS environment variables, as a server reads them.
      const env: Record<string, string> = { DATA_DIR: dataDir, STORAGE_CACHE_MB: '5', ...s3.env('created') }
      const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY }
      process.env.AWS_ACCESS_KEY_ID = env.AWS_ACCESS_KEY_ID
      process.env.AWS_SECRET_ACCESS_KEY = env.AWS_SECRET_ACCESS_KEY
      try {
        const storage = await createStorage(loadConfig(env))
        expect(storage).toBeInstanceOf(S3Storage)
        const s3Storage = storage as S3Storage
        opened.push(s3Storage)
        expect(s3Storage.prefix).toBe('created')
        expect(s3Storage.cache.options).toEqual({ dir: join(dataDir, 'cache'), maxBytes: 5 * MIB })
        await storage.put('k/v.txt', 'through the factory')
        expect(await withLocalFile(storage, 'k/v.txt', async (path) => path.startsWith(join(dataDir, 'cache')))).toBe(true)
        expect((await storage.get('k/v.txt')).toString()).toBe('through the factory')
        await storage.deletePrefix('k')
      } finally {
        for (const [name, value] of [
          ['AWS_ACCESS_KEY_ID', saved.id],
          ['AWS_SECRET_ACCESS_KEY', saved.secret],
        ] as const) {
          if (value === undefined) delete process.env[name]
          else process.env[name] = value
        }
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true })
    }
  })
})
