/**
 * The Storage contract, run against every backend: FileStorage in a temporary directory and
 * S3Storage against a real S3 API server (s3rver on a free port). Cases that need a capability
 * only one backend has (checksum verification on read, a local cache) say so with runIf.
 */
import { describe, it, expect, beforeAll, afterAll, beforeEach, afterEach } from 'vitest'
import { createHash, randomUUID } from 'node:crypto'
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { Readable } from 'node:stream'
import { PutObjectCommand } from '@aws-sdk/client-s3'
import { FileStorage } from './file-storage.ts'
import { S3Storage } from './s3-storage.ts'
import { StorageError, withLocalFile, type Storage } from './storage.ts'
import { countCommands } from './testing/s3-commands.ts'
import { startS3Server, S3RVER_CREDENTIALS, type TestS3Server } from './testing/s3-server.ts'

const MIB = 1024 * 1024
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex')

interface Opened {
  readonly storage: Storage
  /** Objects fetched from the store for localFile (0 for a backend whose objects are local files). */
  downloads(): number
  /** Replaces an object behind the backend's back (body, and the recorded checksum: null for none). */
  tamper?(key: string, body: Buffer, recordedSha256: string | null): Promise<void>
  /** Total size of the local cache's entries. */
  cacheBytes?(): Promise<number>
  close(): Promise<void>
}

interface Backend {
  readonly name: string
  /** localFile downloads each object once (a cache), or hands out the stored file (0 downloads). */
  readonly downloadsPerObject: 0 | 1
  readonly verifiesChecksums: boolean
  readonly cached: boolean
  open(options?: { cacheMaxBytes?: number }): Promise<Opened>
}

let s3: TestS3Server
beforeAll(async () => {
  s3 = await startS3Server()
})
afterAll(async () => {
  await s3?.stop()
})

const backends: Backend[] = [
  {
    name: 'FileStorage',
    downloadsPerObject: 0,
    verifiesChecksums: false,
    cached: false,
    async open() {
      const root = await mkdtemp(join(tmpdir(), 'storage-file-'))
      return { storage: new FileStorage(root), downloads: () => 0, close: () => rm(root, { recursive: true, force: true }) }
    },
  },
  {
    name: 'S3Storage',
    downloadsPerObject: 1,
    verifiesChecksums: true,
    cached: true,
    async open(options = {}) {
      const cacheDir = await mkdtemp(join(tmpdir(), 'storage-s3-cache-'))
      const prefix = `contract/${randomUUID()}`
      const storage = new S3Storage({
        bucket: s3.bucket,
        prefix,
        endpoint: s3.endpoint,
        region: s3.region,
        forcePathStyle: true,
        credentials: S3RVER_CREDENTIALS,
        cacheDir,
        cacheMaxBytes: options.cacheMaxBytes ?? 256 * MIB,
        partSize: 5 * MIB,
      })
      const counts = countCommands(storage.client)
      return {
        storage,
        downloads: () => counts.get('GetObjectCommand') ?? 0,
        async tamper(key, body, recordedSha256) {
          await storage.client.send(
            new PutObjectCommand({
              Bucket: s3.bucket,
              Key: `${prefix}/${key}`,
              Body: body,
              ...(recordedSha256 === null ? {} : { Metadata: { sha256: recordedSha256 } }),
            }),
          )
        },
        cacheBytes: () => storage.cache.size(),
        async close() {
          storage.close()
          await rm(cacheDir, { recursive: true, force: true })
        },
      }
    },
  },
]

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of stream) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}

/** A stream of `data` in uneven chunks (as an upload arrives). */
function chunked(data: Buffer): Readable {
  const sizes = [1, 1000, 65_536, 7, 300_001]
  let i = 0
  let at = 0
  return new Readable({
    read() {
      if (at >= data.length) return void this.push(null)
      const n = sizes[i++ % sizes.length]
      this.push(data.subarray(at, at + n))
      at += n
    },
  })
}

function pseudoRandom(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size)
  let x = seed >>> 0 || 1
  for (let i = 0; i < size; i += 4) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out.writeUInt32LE(x >>> 0, Math.min(i, size - 4))
  }
  return out
}

describe.each(backends)('Storage contract: $name', (backend) => {
  let opened: Opened
  let storage: Storage
  beforeEach(async () => {
    opened = await backend.open()
    storage = opened.storage
  })
  afterEach(async () => {
    await opened.close()
  })

  it('puts strings, bytes and streams with size and checksum, and reads them back', async () => {
    expect(await storage.put('a/b/c.txt', 'hello')).toEqual({ key: 'a/b/c.txt', size: 5, sha256: sha('hello') })
    const bytes = new Uint8Array([0, 1, 2, 250])
    expect(await storage.put('a/bytes.bin', bytes)).toEqual({ key: 'a/bytes.bin', size: 4, sha256: sha(Buffer.from(bytes)) })
    const big = pseudoRandom(300_000, 7)
    const b = await storage.put('a/big.bin', chunked(big))
    expect(b).toEqual({ key: 'a/big.bin', size: 300_000, sha256: sha(big) })
    expect(await storage.put('a/empty', Readable.from([]))).toEqual({ key: 'a/empty', size: 0, sha256: sha('') })

    expect((await storage.get('a/b/c.txt')).toString()).toBe('hello')
    expect((await storage.get('a/bytes.bin')).equals(Buffer.from(bytes))).toBe(true)
    expect((await readAll(await storage.stream('a/big.bin'))).equals(big)).toBe(true)
    expect((await storage.get('a/empty')).length).toBe(0)
    expect(await storage.exists('a/big.bin')).toBe(true)
    expect(await storage.exists('a/b')).toBe(false)
    expect(await storage.list('a')).toEqual(['a/b/c.txt', 'a/big.bin', 'a/bytes.bin', 'a/empty'])
    expect(await storage.list('a/b')).toEqual(['a/b/c.txt'])
  })

  it('replaces an object as a whole', async () => {
    await storage.put('r/x.txt', 'first version')
    await storage.put('r/x.txt', chunked(Buffer.from('second')))
    expect((await storage.get('r/x.txt')).toString()).toBe('second')
    expect(await withLocalFile(storage, 'r/x.txt', (path) => readFile(path, 'utf8'))).toBe('second')
    expect(await storage.list('r')).toEqual(['r/x.txt'])
  })

  it('deletes objects and prefixes, and nothing else', async () => {
    await storage.put('p/1', 'x')
    await storage.put('p/q/2', 'y')
    await storage.put('p2/3', 'z')
    await storage.put('other', 'w')
    await storage.delete('p/1')
    await storage.delete('p/1')
    expect(await storage.exists('p/1')).toBe(false)
    await storage.deletePrefix('p')
    await storage.deletePrefix('nothing/here')
    expect(await storage.list('p')).toEqual([])
    expect(await storage.list('p2')).toEqual(['p2/3'])
    expect(await storage.exists('other')).toBe(true)
  })

  it('reports missing objects as not_found', async () => {
    await expect(storage.get('nope')).rejects.toThrow('no stored object "nope"')
    for (const read of [() => storage.stream('no/pe'), () => storage.localFile('no/pe.mha')]) {
      const err = await read().then(
        () => null,
        (e: unknown) => e,
      )
      expect(err).toBeInstanceOf(StorageError)
      expect((err as StorageError).code).toBe('not_found')
    }
    expect(await storage.exists('nope')).toBe(false)
    expect(await storage.list('none')).toEqual([])
  })

  it('refuses keys that could escape the store, before touching it', async () => {
    for (const bad of ['', '/abs', '../up', 'a/../b', 'a//b', 'a/./b', 'a\\b', 'a/b/', 'a/b?c', 'a/%2e%2e']) {
      for (const op of [
        () => storage.put(bad, 'x'),
        () => storage.get(bad),
        () => storage.stream(bad),
        () => storage.exists(bad),
        () => storage.delete(bad),
        () => storage.deletePrefix(bad),
        () => storage.list(bad),
        () => storage.localFile(bad),
      ]) {
        const err = await (async () => {
          await op()
        })().then(
          () => null,
          (e: unknown) => e,
        )
        expect(err, bad).toBeInstanceOf(StorageError)
        expect((err as StorageError).code, bad).toBe('invalid_key')
      }
    }
    expect(opened.downloads()).toBe(0)
  })

  it('stores nothing when the source stream fails', async () => {
    for (const size of [100, 6 * MIB]) {
      let sent = 0
      const failing = new Readable({
        read() {
          if (sent >= size) return void this.destroy(new Error('upload aborted'))
          this.push(Buffer.alloc(MIB))
          sent += MIB
        },
      })
      await expect(storage.put(`x/y${size}.bin`, failing)).rejects.toThrow('upload aborted')
    }
    expect(await storage.list('x')).toEqual([])
  })

  it('streams a large object in and out in parts (12 MiB, more than a multipart part)', async () => {
    const data = pseudoRandom(12 * MIB + 12_345, 42)
    const stored = await storage.put('large/volume.mha', chunked(data))
    expect(stored).toEqual({ key: 'large/volume.mha', size: data.length, sha256: sha(data) })
    const back = await readAll(await storage.stream('large/volume.mha'))
    expect(back.length).toBe(data.length)
    expect(sha(back)).toBe(sha(data))
    expect(await withLocalFile(storage, 'large/volume.mha', async (path) => sha(await readFile(path)))).toBe(sha(data))
  })

  it('hands out local files named like the key; concurrent requests for one object fetch it once', async () => {
    const data = pseudoRandom(2 * MIB, 3)
    await storage.put('ts/v1/images/1_t1.mha', data)
    const files = await Promise.all(Array.from({ length: 8 }, () => storage.localFile('ts/v1/images/1_t1.mha')))
    expect(opened.downloads()).toBe(backend.downloadsPerObject)
    for (const f of files) {
      expect(basename(f.path)).toBe('1_t1.mha')
      expect((await readFile(f.path)).equals(data)).toBe(true)
    }
    for (const f of files) {
      await f.release()
      await f.release()
    }
    // Served from the cache (or the store's own file) afterwards.
    expect(await withLocalFile(storage, 'ts/v1/images/1_t1.mha', async (path) => (await readFile(path)).equals(data))).toBe(true)
    expect(opened.downloads()).toBe(backend.downloadsPerObject)
  })

  it.runIf(backend.verifiesChecksums)('detects content that does not match its recorded checksum, on every read', async () => {
    const good = pseudoRandom(100_000, 1)
    const bad = Buffer.from(good)
    bad[50_000] ^= 1
    await storage.put('t/body.bin', good)
    await opened.tamper!('t/body.bin', bad, sha(good))
    await storage.put('t/meta.bin', good)
    await opened.tamper!('t/meta.bin', good, sha('something else'))
    await opened.tamper!('t/none.bin', good, null)
    for (const key of ['t/body.bin', 't/meta.bin', 't/none.bin']) {
      const expectCorrupt = (err: unknown) => {
        expect(err, key).toBeInstanceOf(StorageError)
        expect((err as StorageError).code, key).toBe('corrupt')
      }
      expectCorrupt(await storage.get(key).catch((e: unknown) => e))
      expectCorrupt(await storage.localFile(key).catch((e: unknown) => e))
      // A stream delivers what arrives and fails at its end instead of ending.
      const streamed = await storage
        .stream(key)
        .then(readAll)
        .catch((e: unknown) => e)
      expectCorrupt(streamed)
    }
    // The stream of the altered body starts, delivers every byte, then fails instead of ending.
    const stream = await storage.stream('t/body.bin')
    let delivered = 0
    const failure = await (async () => {
      for await (const chunk of stream) delivered += (chunk as Buffer).length
    })().then(
      () => null,
      (e: unknown) => e,
    )
    expect(delivered).toBe(bad.length)
    expect(failure).toBeInstanceOf(StorageError)
    const message = await storage.get('t/body.bin').catch((e: Error) => e.message)
    expect(message).toBe(`stored object "t/body.bin" is corrupt: its content has SHA-256 ${sha(bad)}, recorded ${sha(good)}`)
    // Nothing corrupt entered the cache.
    expect(await opened.cacheBytes!()).toBe(0)
    // Stored again through the backend, the object reads back.
    await storage.put('t/body.bin', good)
    expect((await storage.get('t/body.bin')).equals(good)).toBe(true)
  })

  it.runIf(backend.cached)('keeps its local cache within its bound, never removing a file in use', async () => {
    await opened.close()
    opened = await backend.open({ cacheMaxBytes: 3 * MIB })
    storage = opened.storage
    const objects = Array.from({ length: 5 }, (_, i) => pseudoRandom(MIB, i + 1))
    for (const [i, data] of objects.entries()) await storage.put(`c/${i}.bin`, data)

    const held = await storage.localFile('c/0.bin')
    for (let round = 0; round < 2; round++) {
      for (let i = 1; i < objects.length; i++) {
        await withLocalFile(storage, `c/${i}.bin`, async (path) => expect((await readFile(path)).equals(objects[i])).toBe(true))
        expect(await opened.cacheBytes!()).toBeLessThanOrEqual(3 * MIB)
      }
    }
    // The file in use stayed, intact, through every eviction, and so did its cache entry.
    expect((await readFile(held.path)).equals(objects[0])).toBe(true)
    const downloaded = opened.downloads()
    await withLocalFile(storage, 'c/0.bin', async (path) => expect((await readFile(path)).equals(objects[0])).toBe(true))
    expect(opened.downloads()).toBe(downloaded)
    await held.release()
    await expect(readdir(join(held.path, '..'))).rejects.toThrow()
    // Least recently used first: the last two objects used are still cached, so reading them
    // again downloads nothing; the first object, evicted long ago, is downloaded again.
    const before = opened.downloads()
    await withLocalFile(storage, 'c/4.bin', async () => undefined)
    await withLocalFile(storage, 'c/3.bin', async () => undefined)
    expect(opened.downloads()).toBe(before)
    await withLocalFile(storage, 'c/1.bin', async () => undefined)
    expect(opened.downloads()).toBe(before + 1)
    expect(await opened.cacheBytes!()).toBeLessThanOrEqual(3 * MIB)
  })
})
