import { describe, it, expect, beforeEach, afterEach } from 'vitest'
import { createHash } from 'node:crypto'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { FileStorage } from './file-storage.ts'
import { StorageError, validateKey } from './storage.ts'

let root: string
let storage: FileStorage

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'storage-'))
  storage = new FileStorage(root)
})
afterEach(async () => {
  await rm(root, { recursive: true, force: true })
})

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex')

describe('FileStorage', () => {
  it('puts buffers and streams with size and checksum, and reads them back', async () => {
    const a = await storage.put('a/b/c.txt', 'hello')
    expect(a).toEqual({ key: 'a/b/c.txt', size: 5, sha256: sha('hello') })
    const big = Buffer.alloc(300_000, 7)
    const b = await storage.put('a/big.bin', Readable.from([big.subarray(0, 1000), big.subarray(1000)]))
    expect(b.size).toBe(300_000)
    expect(b.sha256).toBe(sha(big))
    expect((await storage.get('a/b/c.txt')).toString()).toBe('hello')
    const chunks: Buffer[] = []
    for await (const c of await storage.stream('a/big.bin')) chunks.push(c as Buffer)
    expect(Buffer.concat(chunks).equals(big)).toBe(true)
    expect(await storage.list('a')).toEqual(['a/b/c.txt', 'a/big.bin'])
    expect(await storage.localPath('a/b/c.txt')).toBe(join(root, 'a', 'b', 'c.txt'))
  })

  it('deletes objects and prefixes', async () => {
    await storage.put('p/1', 'x')
    await storage.put('p/q/2', 'y')
    await storage.put('other', 'z')
    await storage.delete('p/1')
    expect(await storage.exists('p/1')).toBe(false)
    await storage.deletePrefix('p')
    expect(await storage.list('p')).toEqual([])
    expect(await storage.exists('other')).toBe(true)
  })

  it('reports missing objects', async () => {
    await expect(storage.get('nope')).rejects.toThrow('no stored object "nope"')
    await expect(storage.stream('nope')).rejects.toBeInstanceOf(StorageError)
  })

  it('leaves no partial file when the source stream fails', async () => {
    const failing = new Readable({
      read() {
        this.push(Buffer.alloc(100))
        this.destroy(new Error('upload aborted'))
      },
    })
    await expect(storage.put('x/y.bin', failing)).rejects.toThrow('upload aborted')
    expect(await readdir(join(root, 'x'))).toEqual([])
  })

  it('refuses keys that could escape the root', () => {
    for (const bad of ['', '/abs', '../up', 'a/../b', 'a//b', 'a/./b', 'a\\b', 'a/b/']) {
      expect(() => validateKey(bad), bad).toThrow(StorageError)
    }
    expect(validateKey('testsets/v1/masks/1_t1.mha')).toBe('testsets/v1/masks/1_t1.mha')
  })
})
